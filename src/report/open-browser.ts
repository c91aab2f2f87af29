import {spawn} from 'node:child_process'

/** Hand the page to the desktop's browser (argument list, detached); false when there is no opener. */
export async function openInBrowser(file: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open'
  return new Promise((resolve) => {
    const child = spawn(opener, [file], {detached: true, env, stdio: 'ignore'})
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}

import type {ResultPromise} from 'execa'

export interface TerminalScreen {
  /** resolves once `text` appears in the output after what an earlier `shows` consumed; fails when exp exits first */
  shows: (text: string, ms?: number) => Promise<void>
}

/** What exp printed on a pseudo-terminal (util-linux `script`), awaited prompt by prompt instead of fixed sleeps. */
export function terminalScreen(child: ResultPromise): TerminalScreen {
  let screen = ''
  let exited = false
  let wake = () => {}
  child.stdout!.on('data', (chunk: Buffer) => {
    screen += chunk.toString()
    wake()
  })
  child
    .finally(() => {
      exited = true
      wake()
    })
    .catch(() => {})
  return {
    shows: async (text, ms = 30_000) => {
      const deadline = Date.now() + ms
      while (!screen.includes(text)) {
        if (exited) throw new Error(`exp exited before showing "${text}":\n${screen}`)
        if (Date.now() > deadline) throw new Error(`"${text}" not shown within ${ms} ms:\n${screen}`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 100)
        })
      }
      screen = screen.slice(screen.indexOf(text) + text.length)
    },
  }
}

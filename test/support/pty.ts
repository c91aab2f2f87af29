import {execa} from 'execa'

import {EXP_BIN} from './exp.js'

/** Whether util-linux `script` (a real pseudo-terminal) is available. */
export async function ptyAvailable(): Promise<boolean> {
  return (await execa('script', ['--version'], {reject: false})).exitCode === 0
}

/** Run the built exp on a real pseudo-terminal (util-linux `script`) and return everything the terminal showed. */
export async function expOnTerminal(
  args: string[],
  options: {cwd: string; env?: Record<string, string | undefined>},
): Promise<{code: number; screen: string}> {
  const cmd = [process.execPath, EXP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const r = await execa('script', ['-qfec', cmd, '/dev/null'], {
    cwd: options.cwd,
    env: {EXP_ROOT: undefined, TERM: 'xterm', ...options.env},
    input: '',
    reject: false,
    timeout: 60_000,
  })
  return {code: r.exitCode ?? 1, screen: String(r.stdout)}
}

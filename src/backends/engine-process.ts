import {spawn} from 'node:child_process'
import {promises as fs} from 'node:fs'
import {StringDecoder} from 'node:string_decoder'

/**
 * An engine started with its stdout and stderr going straight into its log file: the child gets the file's
 * descriptor (opened for append), so every byte it prints is in the log from the first one, whether or not exp is
 * still reading, and nothing is lost when the engine prints and exits at once. A person at a terminal sees the
 * output by a tail of that file (`tailFile`), never by a pipe exp could drop.
 */
export interface EngineExit {
  exitCode?: number
  signal?: NodeJS.Signals
  /** set when the engine never started (ENOENT, EACCES) */
  code?: string
  cause?: unknown
}

export interface StartedEngine {
  pid?: number
  exited: Promise<EngineExit>
}

export async function startEngine(
  file: string,
  args: string[],
  options: {cwd: string; env: NodeJS.ProcessEnv; log: string},
): Promise<StartedEngine> {
  const handle = await fs.open(options.log, 'a')
  try {
    const child = spawn(file, args, {
      cwd: options.cwd,
      detached: true, // its own process group: a stop reaches everything the engine started
      env: options.env,
      stdio: ['ignore', handle.fd, handle.fd],
    })
    const exited = new Promise<EngineExit>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({cause: error, code: error.code}))
      child.once('exit', (exitCode, signal) => resolve({exitCode: exitCode ?? undefined, signal: signal ?? undefined}))
    })
    return {exited, pid: child.pid}
  } finally {
    // the child holds its own copy of the descriptor
    await handle.close()
  }
}

/**
 * Follow a file from `offset` and hand what is appended to `write` (multi-byte characters kept whole), until
 * `stop()`, which delivers what is left. Read errors end the tail quietly: the file, not the terminal, is the record.
 */
export function tailFile(
  file: string,
  offset: number,
  write: (text: string) => void,
  pollMs = 50,
): {stop: () => Promise<void>} {
  const decoder = new StringDecoder('utf8')
  let position = offset
  let stopped = false
  const drain = async () => {
    const handle = await fs.open(file, 'r').catch(() => undefined)
    if (!handle) return
    try {
      const buffer = Buffer.alloc(64 * 1024)
      for (;;) {
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, position)
        if (bytesRead === 0) break
        position += bytesRead
        const text = decoder.write(buffer.subarray(0, bytesRead))
        if (text) write(text)
      }
    } catch {
      // an I/O error reading the log: the terminal copy stops, the log itself is unaffected
    } finally {
      await handle.close().catch(() => {})
    }
  }
  // the wait between two reads ends early on stop(): the next stage never waits out a poll interval
  let wake = () => {}
  const loop = (async () => {
    while (!stopped) {
      await drain()
      if (stopped) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  })()
  return {
    async stop() {
      stopped = true
      wake()
      await loop
      await drain()
      const rest = decoder.end()
      if (rest) write(rest)
    },
  }
}

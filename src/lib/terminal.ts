import {isatty} from 'node:tty'

/**
 * Prompts and progress bars only when a person is at a terminal: both stdin and stdout are TTYs. stdin is asked
 * through its descriptor: `process.stdin` would open a stream on it (a socket for a pipe) just to be asked.
 */
export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && isatty(0)
}

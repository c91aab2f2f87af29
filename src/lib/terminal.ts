/** Prompts and progress bars only when a person is at a terminal: both stdin and stdout are TTYs. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY)
}

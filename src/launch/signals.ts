/**
 * Turn SIGINT/SIGTERM/SIGHUP into an AbortSignal for the duration of `fn`, so a supervisor stops its engines,
 * records the run as interrupted and returns normally (the command then exits 130) instead of dying mid-write.
 * The AbortSignal's reason is the signal's name.
 */
export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export async function withStopSignals<T>(
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<{result: T; stoppedBy?: NodeJS.Signals}> {
  const controller = new AbortController()
  let stoppedBy: NodeJS.Signals | undefined
  const handlers = STOP_SIGNALS.map((sig) => {
    const handler = () => {
      stoppedBy ??= sig
      controller.abort(sig)
    }
    process.on(sig, handler)
    return [sig, handler] as const
  })
  try {
    const result = await fn(controller.signal)
    return {result, stoppedBy}
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler)
  }
}

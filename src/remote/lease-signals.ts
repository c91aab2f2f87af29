import {EXIT, ExpError} from '../errors.js'
import {STOP_SIGNALS} from '../launch/signals.js'
import type {LeaseClock} from './lease-types.js'

/**
 * Ctrl-C while a command waits for the remote lease. Without a handler node dies at once and its queue ticket stays
 * in locks/ until it expires, holding up the machines queued behind it; so while a lease is being taken, SIGINT,
 * SIGTERM and SIGHUP end the wait instead: the ticket (and a lease just written) are removed and the command exits
 * 130 with one line. Only signals nothing else in the process handles are taken: a command that stops on its own
 * terms (`graph run` stops its engines and records their nodes interrupted) keeps its handling.
 */
export const interrupted = (): ExpError =>
  new ExpError('interrupted while waiting for the remote lease; nothing was changed.', {
    code: 'INTERRUPTED',
    exit: EXIT.interrupted,
  })

/** The clock's sleep, ended early by `signal` (INTERRUPTED). */
export async function pause(clock: LeaseClock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return clock.sleep(ms)
  if (signal.aborted) throw interrupted()
  await new Promise<void>((resolve, reject) => {
    const stop = () => reject(interrupted())
    signal.addEventListener('abort', stop, {once: true})
    void clock.sleep(ms).then(() => {
      signal.removeEventListener('abort', stop)
      resolve()
    })
  })
}

/**
 * Run a lease take with the stop signals nobody else handles turned into `signal`, and `caller`'s own (a command
 * that handles the stop signals itself and lets this wait end with them: graph run's claims) beside them.
 */
export async function interruptible<T>(
  take: (signal: AbortSignal | undefined) => Promise<T>,
  caller?: AbortSignal,
): Promise<T> {
  const free = STOP_SIGNALS.filter((sig) => process.listenerCount(sig) === 0)
  if (free.length === 0) return take(caller)
  const controller = new AbortController()
  const stop = (sig: NodeJS.Signals) => controller.abort(sig)
  for (const sig of free) process.on(sig, stop)
  try {
    return await take(caller ? AbortSignal.any([controller.signal, caller]) : controller.signal)
  } finally {
    for (const sig of free) process.off(sig, stop)
  }
}

import {EXIT} from '../errors.js'
import type {Outcome} from '../experiments/outcome.js'
import {withStopSignals} from '../launch/signals.js'
import type {SweepWatchResult} from '../sweeps/observe-watch.js'
import type {Workspace} from '../workspace/workspace.js'
import {watchTarget, type WatchOptions, type WatchResult} from './watch.js'

export type WatchCommandResult = (WatchResult & {outcome?: Outcome}) | SweepWatchResult

/** What `exp watch` ends with: its result, the exit status (undefined: 0), stdout lines and a note for stderr. */
export interface WatchOutcome {
  exit?: number
  lines: string[]
  note?: string
  result: WatchCommandResult
}

/**
 * `exp watch` as one call: the watch with Ctrl-C (SIGINT/SIGTERM/SIGHUP) ending the watching, not the run; then the
 * exit decision (interrupted 130, failed 1), a sweep's summary, or the experiment's outcome when its run ended.
 */
export async function watchRequest(ws: Workspace, options: Omit<WatchOptions, 'signal'>): Promise<WatchOutcome> {
  const {result, stoppedBy} = await withStopSignals((signal) => watchTarget(ws, {...options, signal}))
  if ('sweep' in result) {
    if (stoppedBy || result.stopped) {
      const live = result.variants.filter((v) => v.state === 'queued' || v.state === 'running').length
      return {
        exit: EXIT.interrupted,
        lines: [],
        note: `Stopped watching; ${live} variant(s) still live: their jobs go on (exp watch ${result.experiment} resumes).`,
        result,
      }
    }
    const {renderSweepSummary} = await import('../sweeps/observe-render.js')
    const lines = [...result.collected.map((c) => `${c.variant}: ${c.message}`), ...renderSweepSummary(result)]
    return {exit: result.variants.some((v) => v.state !== 'completed') ? EXIT.failure : undefined, lines, result}
  }
  if (stoppedBy)
    return {
      exit: EXIT.interrupted,
      lines: [],
      note: `Stopped watching; run ${result.run_id} is still ${result.record.state}.`,
      result,
    }
  // the run has ended: what it means for the experiment (the report's metric and verdict)
  const {experimentOutcome, outcomeLine} = await import('../experiments/outcome.js')
  const outcome = await experimentOutcome(ws, options.name, {now: options.now})
  const exit = result.record.state === 'completed' ? undefined : EXIT.failure
  return {exit, lines: [`Result: ${outcomeLine(outcome)}`], result: {...result, outcome}}
}

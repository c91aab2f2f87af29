import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {isLive, notStarted, type RunRecord} from '../runs/record.js'
import type {Classification} from './types.js'

/**
 * What an experiment is doing, beside its status: `running`/`queued` (a live run), `idle` (no verdict and nothing
 * running), or null when a verdict decided its status. Shown in list, show and --json with `state_detail` saying why.
 */
export type ActivityState = 'running' | 'queued' | 'idle'

export interface Activity {
  state: ActivityState | null
  state_detail: string | null
}

/** Why nothing is running, from the newest run: never launched, or how its last run ended. */
export function idleDetail(runs: RunRecord[]): string {
  const last = newestRun(runs)
  if (!last) return 'never launched'
  if (notStarted(last)) return `last launch ${last.run_id} did not start`
  if (last.state === 'cancelled' || last.state === 'interrupted') return `last run ${last.run_id} was ${last.state}`
  return `last run ${last.run_id} ${last.state}`
}

function newestRun(runs: RunRecord[]): RunRecord | undefined {
  let best: RunRecord | undefined
  for (const run of runs) if (!best || run.run_id > best.run_id) best = run
  return best
}

/** The activity of a classified experiment (pure: the snapshot and its classification). */
export function activityOf(snap: ExperimentSnapshot, c: Classification): Activity {
  const live = [snap, ...(snap.variants ?? [])].flatMap((s) => s.runs).find((r) => isLive(r.state))
  if (live)
    return {state: live.state as ActivityState, state_detail: `run ${live.run_id} is ${live.state} on ${live.backend}`}
  if (c.status === 'active' || c.status === 'stale') {
    if (c.rule !== 'age' && c.rule !== 'variants' && c.rule !== 'metadata' && c.rule !== 'notes')
      return {state: null, state_detail: null}
    return {state: 'idle', state_detail: idleDetail(snap.runs)}
  }
  return {state: null, state_detail: null}
}

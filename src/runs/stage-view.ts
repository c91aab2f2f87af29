import {notStarted, type RunRecord, type RunState, type StageRecord} from './record.js'

/**
 * How a run and its stages read to a person (exp runs, exp logs, exp list), derived from the record alone.
 * Two states are shown that a record never stores: `not started` (the launch failed before any engine ran: a
 * refused submission, an unreachable backend, no instance; launch marks such a run `not_started`) and `skipped`
 * (a stage that never started because an earlier one failed or could not be submitted).
 */
export type ShownState = RunState | 'not started' | 'skipped'

export function shownRunState(run: RunRecord): ShownState {
  return notStarted(run) ? 'not started' : run.state
}

/** A stage as shown: `skipped` when it never started because an earlier stage failed or was never submitted. */
export function shownStage(run: RunRecord, stage: StageRecord): {state: ShownState; why?: string} {
  if (notStarted(run) && stage.state === 'failed') return {state: 'not started', why: stage.reason}
  if (stage.state !== 'cancelled' || stage.started_at) return {state: stage.state, why: stage.reason}
  const index = run.stages.indexOf(stage)
  const earlier = run.stages
    .slice(0, Math.max(0, index))
    .find((s) => s.state === 'failed' || (notStarted(run) && s.state === 'cancelled'))
  if (!earlier) return {state: stage.state, why: stage.reason}
  return {state: 'skipped', why: `${earlier.name} ${notStarted(run) ? 'was not started' : 'failed'}`}
}

import {isLive, type RunState, type StageRecord} from '../runs/record.js'

/**
 * End every live (queued or running) stage of a run in one state, with one reason: the single home of "this run
 * stopped here" for every backend and the launch. `keepEnded` keeps an end time a stage already has; `reasonOf`
 * adds to the reason per stage (a local engine that may outlive its supervisor).
 */
export function endStages(
  stages: StageRecord[],
  state: RunState,
  reason: string,
  at: string,
  options: {keepEnded?: boolean; only?: (s: StageRecord) => boolean; reasonOf?: (s: StageRecord) => string} = {},
): StageRecord[] {
  const only = options.only ?? ((s: StageRecord) => isLive(s.state))
  return stages.map((s) =>
    only(s)
      ? {
          ...s,
          ended_at: options.keepEnded ? (s.ended_at ?? at) : at,
          reason: options.reasonOf ? options.reasonOf(s) : reason,
          state,
        }
      : s,
  )
}

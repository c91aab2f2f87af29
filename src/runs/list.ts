import {resolveTarget} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {type BackendName, compareRuns, notStarted, runDir, type StageName} from './record.js'
import {runCost, runReason, runsOf, runSpan} from './select.js'
import {type ShownState, shownRunState, shownStage} from './stage-view.js'

/** One run as `exp runs` prints it (and as `exp runs --json` returns it). */
export interface RunRow {
  experiment: string
  /** a sweep's variant whose run this is (null: the experiment's own run) */
  variant: string | null
  run_id: string
  backend: BackendName
  /** the record's state, or `not started` when the launch failed before any engine ran */
  state: ShownState
  /** a stage that never ran because an earlier one failed is `skipped`, with `why` */
  stages: Array<{name: StageName; state: ShownState; why?: string; exit_code?: number | null; job_id?: string}>
  started_at: string | null
  ended_at: string | null
  duration_ms: number | null
  reason: string | null
  /** dollars, when the backend recorded a cost (vast) */
  cost: number | null
  /** what the backend wants a person to know (vast: a stopped instance still bills disk) */
  notice: string | null
  /** the run folder, workspace-relative */
  dir: string
}

export interface RunsResult {
  runs: RunRow[]
}

/**
 * Every run (of one experiment, or of all in experiments/; a sweep's with its variants'), newest first, live ones
 * refreshed through their backends.
 */
export async function listRuns(
  ws: Workspace,
  options: {name?: string; now: Clock; log?: (line: string) => void; advance?: boolean},
): Promise<RunsResult> {
  // EXP/VARIANT: the sweep's rows of that variant
  const [name, variant] = options.name?.includes('/')
    ? [options.name.slice(0, options.name.indexOf('/')), (await resolveTarget(ws, options.name)).variant]
    : [options.name]
  // --advance: the backends may act on what they see (vast: upload, fetch results' marker, destroy, rent again)
  const snapshots = await runsOf(ws, name, {
    advance: options.advance,
    log: options.log ?? (() => {}),
    now: options.now,
    ws,
  })
  // the refresh may have seen transitions of a named sweep: its orchestration log and status table follow
  for (const s of snapshots) {
    if (name === undefined || s.location !== 'experiments' || !s.variants?.some((v) => v.runs.length > 0)) continue
    const {observeSweep} = await import('../sweeps/observe.js')
    await observeSweep({experiment: s.name, now: options.now(), workspace: ws})
  }
  const now = options.now().getTime()
  const rows: RunRow[] = []
  const createdAt = new Map<RunRow, string>()
  const sources = snapshots.flatMap((snap) => [
    {dir: snap.dir, name: snap.name, runs: snap.runs, variant: null as string | null},
    ...(snap.variants ?? []).map((v) => ({dir: v.dir, name: snap.name, runs: v.runs, variant: v.name})),
  ])
  for (const snap of sources.filter((s) => variant === undefined || s.variant === variant)) {
    for (const run of snap.runs) {
      const span = runSpan(run, now)
      const row: RunRow = {
        backend: run.backend,
        cost: runCost(run) ?? null,
        dir: relativeToRoot(ws, runDir(snap.dir, run.run_id)),
        duration_ms: span.ms ?? null,
        ended_at:
          run.state === 'queued' || run.state === 'running' || span.end === undefined
            ? null
            : new Date(span.end).toISOString(),
        experiment: snap.name,
        notice: typeof run.backend_data?.notice === 'string' ? run.backend_data.notice : null,
        reason: (notStarted(run) ? run.reason : undefined) ?? runReason(run) ?? null,
        run_id: run.run_id,
        stages: run.stages.map((s) => {
          const shown = shownStage(run, s)
          const out: RunRow['stages'][number] = {
            name: s.name,
            state: shown.state,
            ...(shown.state === 'skipped' ? {why: shown.why} : {}),
          }
          if (s.exit_code !== undefined) out.exit_code = s.exit_code
          if (s.job_id !== undefined) out.job_id = s.job_id
          return out
        }),
        started_at: span.start === undefined ? null : new Date(span.start).toISOString(),
        state: shownRunState(run),
        variant: snap.variant,
      }
      rows.push(row)
      createdAt.set(row, run.created_at)
    }
  }
  const key = (row: RunRow) => ({created_at: createdAt.get(row), run_id: row.run_id})
  rows.sort(
    (a, b) =>
      compareRuns(key(a), key(b)) ||
      a.experiment.localeCompare(b.experiment) ||
      (a.variant ?? '').localeCompare(b.variant ?? ''),
  )
  return {runs: rows}
}

import {ExpError} from '../errors.js'
import {resolveExperiment, resolveTarget} from '../experiments/resolve.js'
import {scanExperiments} from '../experiments/scan.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {BackendContext} from '../backends/backend.js'
import type {Location} from '../experiments/snapshot.js'
import type {Workspace} from '../workspace/workspace.js'
import type {RunRecord} from './record.js'
import {refreshLiveRuns} from './refresh.js'

/**
 * The experiments (one, by name, or all of a location) with their runs brought up to date: one scan, one refresh
 * call per backend (a sweep's variants' runs included). The generic run commands (runs, logs, watch, cancel,
 * collect) all start here.
 */
export async function runsOf(
  ws: Workspace,
  name: string | undefined,
  context: BackendContext,
  where: Location | 'all' = 'experiments',
): Promise<ExperimentSnapshot[]> {
  if (name === undefined) {
    const snapshots = await scanExperiments(ws, {location: where})
    await refreshLiveRuns(withVariants(snapshots), context)
    return snapshots
  }
  const located = await resolveExperiment(ws, name)
  const snapshots = await scanExperiments(ws, {location: located.location, only: [located.name]})
  await refreshLiveRuns(withVariants(snapshots), context)
  return snapshots
}

/** The snapshots and their sweeps' variants, one list (a variant's runs live in its own folder's runs/). */
export function withVariants(snapshots: ExperimentSnapshot[]): ExperimentSnapshot[] {
  return [...snapshots, ...snapshots.flatMap((s) => s.variants ?? [])]
}

/**
 * One experiment and its runs (newest first), refreshed; `EXP/VARIANT` is one variant of a sweep, named so (its
 * folder is the variant's, its runs the variant's).
 */
export async function experimentWithRuns(
  ws: Workspace,
  name: string,
  context: BackendContext,
): Promise<ExperimentSnapshot> {
  const target = name.includes('/') ? await resolveTarget(ws, name) : undefined
  const [snapshot] = await runsOf(ws, target?.name ?? name, context)
  if (!snapshot) throw new ExpError(`no experiment named "${name}".`, {code: 'NOT_FOUND'})
  if (!target?.variant) return snapshot
  const variant = snapshot.variants?.find((v) => v.name === target.variant)
  if (!variant) throw new ExpError(`${snapshot.name} has no variant folder "${target.variant}".`, {code: 'NOT_FOUND'})
  return {...variant, name: `${snapshot.name}/${variant.name}`}
}

/** The run a person means: `id` (a full run id or a unique prefix), else the newest. */
export function pickRun(snapshot: ExperimentSnapshot, id?: string): RunRecord {
  if (snapshot.runs.length === 0) {
    const variants = snapshot.variants?.map((v) => v.name) ?? []
    if (variants.length > 0) {
      throw new ExpError(
        `${snapshot.name} is a sweep: its runs are its variants' (${variants.join(', ')}); name one.`,
        {code: 'SWEEP', suggestion: `exp runs ${snapshot.name}`},
      )
    }
    const invalid = snapshot.warnings.find((w) => w.startsWith('runs/'))
    if (invalid) throw new ExpError(`${snapshot.name} has no usable run: ${invalid}.`, {code: 'INVALID_RECORD'})
    throw new ExpError(`${snapshot.name} has no runs yet.`, {
      code: 'NO_RUNS',
      suggestion: `exp launch ${snapshot.name}`,
    })
  }
  if (id === undefined) return snapshot.runs[0]
  const matches = snapshot.runs.filter((r) => r.run_id === id || r.run_id.startsWith(id))
  const exact = matches.find((r) => r.run_id === id)
  if (exact) return exact
  if (matches.length === 1) return matches[0]
  if (matches.length === 0)
    throw new ExpError(`${snapshot.name} has no run ${id}.`, {
      code: 'NOT_FOUND',
      suggestion: `exp runs ${snapshot.name}`,
    })
  throw new ExpError(`run id "${id}" is ambiguous: ${matches.map((r) => r.run_id).join(', ')}.`, {code: 'AMBIGUOUS'})
}

/** When a run started and ended (ms), from its stages; the end is `now` while it is live. */
export function runSpan(run: RunRecord, now: number): {start?: number; end?: number; ms?: number} {
  const starts = run.stages.map((s) => Date.parse(s.started_at ?? '')).filter((t) => !Number.isNaN(t))
  const ends = run.stages.map((s) => Date.parse(s.ended_at ?? '')).filter((t) => !Number.isNaN(t))
  const start = starts.length > 0 ? Math.min(...starts) : undefined
  const live = run.state === 'queued' || run.state === 'running'
  const end = live ? now : ends.length > 0 ? Math.max(...ends) : undefined
  return {end, ms: start !== undefined && end !== undefined ? Math.max(0, end - start) : undefined, start}
}

/** Why a run ended as it did: the run's own reason, else its failed/interrupted/cancelled stage's. */
export function runReason(run: RunRecord): string | undefined {
  const stage =
    run.stages.find((s) => s.state === 'failed') ??
    run.stages.find((s) => s.state === 'interrupted' || s.state === 'cancelled')
  if (stage) {
    const detail =
      stage.reason ??
      (stage.exit_code === undefined || stage.exit_code === null ? undefined : `exit code ${stage.exit_code}`)
    return `${stage.name} ${stage.state}${detail ? ` (${detail})` : ''}`
  }
  return run.reason
}

/** A run's cost in dollars when its backend recorded one (vast: backend_data.cost_usd, or .cost). */
export function runCost(run: RunRecord): number | undefined {
  const data = run.backend_data ?? {}
  for (const key of ['cost_usd', 'cost', 'total_cost']) {
    const value = data[key]
    if (typeof value === 'number' && Number.isFinite(value)) return value
  }
  return undefined
}

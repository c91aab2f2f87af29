import type {CollectResult} from '../backends/backend.js'
import {backendFor} from '../backends/registry.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {holdsResources, type RunRecord} from './record.js'
import {experimentWithRuns, pickRun, withVariants} from './select.js'

export interface CancelOptions {
  name: string
  run?: string
  dryRun?: boolean
  now: Clock
  log?: (line: string) => void
  /** asked before anything is stopped (a prompt on a terminal); false cancels the cancel */
  confirm?: (runs: RunRecord[]) => Promise<boolean>
}

export interface CancelResult {
  experiment: string
  dry_run: boolean
  /** the live runs, as they were before (dry run) or as recorded after cancel */
  runs: RunRecord[]
  confirmed: boolean
}

/** Stop the live runs of an experiment (or the one named) through their backends, and release what ended runs still hold. */
export async function cancelRuns(ws: Workspace, options: CancelOptions): Promise<CancelResult> {
  const context = {log: options.log ?? (() => {}), now: options.now, ws}
  const snapshot = await experimentWithRuns(ws, options.name, context)
  // a sweep: every variant's runs too, each cancelled in its own folder
  const all = withVariants([snapshot]).flatMap((s) =>
    (options.run === undefined || s === snapshot ? s.runs : []).map((record) => ({experimentDir: s.dir, record})),
  )
  const refs = (
    options.run === undefined ? all : [{experimentDir: snapshot.dir, record: pickRun(snapshot, options.run)}]
  ).filter((r) => holdsResources(r.record))
  const targets = refs.map((r) => r.record)
  const result: CancelResult = {
    confirmed: true,
    dry_run: Boolean(options.dryRun),
    experiment: snapshot.name,
    runs: targets,
  }
  if (targets.length === 0 || options.dryRun) return result
  if (options.confirm && !(await options.confirm(targets))) return {...result, confirmed: false}
  const done: RunRecord[] = []
  for (const ref of refs) {
    const backend = await backendFor(ref.record.backend)
    done.push(await backend.cancel(ref, context))
  }
  return {...result, runs: done}
}

export interface CollectOptions {
  name: string
  run?: string
  now: Clock
  log?: (line: string) => void
}

export interface CollectRunResult extends CollectResult {
  experiment: string
  run_id: string
  backend: RunRecord['backend']
}

/** Bring a run's results home through its backend (the newest run unless `run` names one). */
export async function collectRun(ws: Workspace, options: CollectOptions): Promise<CollectRunResult> {
  // collect may spend: it brings a finished run up to date (vast: its exit marker) before it copies the results
  const context = {advance: true, log: options.log ?? (() => {}), now: options.now, ws}
  const snapshot = await experimentWithRuns(ws, options.name, context)
  const record = pickRun(snapshot, options.run)
  const backend = await backendFor(record.backend)
  const collected = await backend.collect({experimentDir: snapshot.dir, record}, context)
  return {...collected, backend: record.backend, experiment: snapshot.name, run_id: record.run_id}
}

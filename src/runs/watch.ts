import {ExpError} from '../errors.js'
import type {CollectResult} from '../backends/backend.js'
import {backendFor} from '../backends/registry.js'
import {type Clock, logStamp, sleep} from '../lib/time.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {SweepWatchResult} from '../sweeps/observe-watch.js'
import type {Workspace} from '../workspace/workspace.js'
import {isLive, type RunRecord, type StageRecord} from './record.js'
import {experimentWithRuns, pickRun} from './select.js'

export interface WatchOptions {
  name: string
  run?: string
  /** between two refreshes (ms); default: the backend's poll_interval in exp.yaml (local runs: 2 s) */
  intervalMs?: number
  now: Clock
  /** one line per state change, for a person */
  log: (line: string) => void
  signal?: AbortSignal
}

export interface WatchResult {
  experiment: string
  run_id: string
  backend: RunRecord['backend']
  record: RunRecord
  /** every change seen, as printed */
  changes: string[]
  /** when the run completed while watched, what collect brought home */
  collected?: CollectResult
}

/**
 * Follow a run (the newest unless `run` names one) until every stage is terminal: refresh it through its backend
 * every interval, print each stage's state change, and when it completes while watched, collect its results.
 */
export async function watchRun(ws: Workspace, options: WatchOptions): Promise<WatchResult> {
  return watchSnapshot(
    ws,
    options,
    await experimentWithRuns(ws, options.name, {advance: true, log: options.log, now: options.now, ws}),
  )
}

/** A sweep (EXP, not one of its variants, without --run) is followed whole; anything else as one run. */
export async function watchTarget(ws: Workspace, options: WatchOptions): Promise<WatchResult | SweepWatchResult> {
  const snapshot = await experimentWithRuns(ws, options.name, {advance: true, log: options.log, now: options.now, ws})
  if (snapshot.variants && snapshot.runs.length === 0 && options.run === undefined) {
    const {watchSweep} = await import('../sweeps/observe-watch.js')
    return watchSweep(ws, {...options, name: snapshot.name})
  }
  return watchSnapshot(ws, options, snapshot)
}

async function watchSnapshot(ws: Workspace, options: WatchOptions, first: ExperimentSnapshot): Promise<WatchResult> {
  // watching acts on what it sees (vast: upload, fetch the exit marker, destroy, rent again): it may spend
  const context = {advance: true, log: options.log, now: options.now, ws}
  let snapshot = first
  let record = pickRun(snapshot, options.run)
  const changes: string[] = []
  const say = (line: string) => {
    const stamped = `[${logStamp(options.now())}] ${line}`
    changes.push(stamped)
    options.log(stamped)
  }
  say(`run ${record.run_id} (${record.backend}): ${record.state} — ${describeStages(record.stages)}`)
  const watched = isLive(record.state)
  const intervalMs = options.intervalMs ?? defaultIntervalMs(ws, record.backend)
  while (isLive(record.state) && !options.signal?.aborted) {
    await sleep(intervalMs, options.signal)
    snapshot = await experimentWithRuns(ws, snapshot.name, context)
    const next = snapshot.runs.find((r) => r.run_id === record.run_id)
    if (!next) throw new ExpError(`run ${record.run_id} disappeared from ${snapshot.name}.`, {code: 'NOT_FOUND'})
    for (const s of next.stages) {
      const before = record.stages.find((b) => b.name === s.name)
      if (before?.state !== s.state) say(`${s.name}: ${before?.state ?? 'new'} → ${s.state}${stageDetail(s)}`)
    }
    record = next
  }
  const result: WatchResult = {
    backend: record.backend,
    changes,
    experiment: snapshot.name,
    record,
    run_id: record.run_id,
  }
  if (isLive(record.state)) return result // stopped watching (Ctrl-C); the run goes on
  say(`run ${record.run_id} ${record.state}`)
  // a failed run is collected too: its logs come home, and a rented machine stops billing (vast --auto-shutdown)
  if (watched && (record.state === 'completed' || record.state === 'failed')) {
    const backend = await backendFor(record.backend)
    result.collected = await backend.collect({experimentDir: snapshot.dir, record}, context)
    result.record = result.collected.record
    say(result.collected.message)
  }
  return result
}

function defaultIntervalMs(ws: Workspace, backend: RunRecord['backend']): number {
  if (backend === 'local') return 2000
  return ws.settings.backends[backend].poll_interval * 1000
}

export function describeStages(stages: StageRecord[]): string {
  return stages.map((s) => `${s.name} ${s.state}${stageDetail(s)}`).join(', ')
}

function stageDetail(s: StageRecord): string {
  if (s.reason) return ` (${s.reason})`
  if (s.exit_code !== undefined && s.exit_code !== null && s.state !== 'running') return ` (exit ${s.exit_code})`
  if (s.job_id) return ` (job ${s.job_id})`
  return ''
}

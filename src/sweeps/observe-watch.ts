import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {backendFor} from '../backends/registry.js'
import {type Clock, logStamp, sleep} from '../lib/time.js'
import {isLive} from '../runs/record.js'
import {runsOf} from '../runs/select.js'
import {ExpError} from '../errors.js'
import type {Workspace} from '../workspace/workspace.js'
import {observeSweepEntries} from './observe.js'
import {summariseSweep, type SweepSummary} from './observe-summary.js'
import {sweepTransitions, type Transition, variantRuns} from './observe-transitions.js'

export interface SweepWatchOptions {
  /** the sweep's directory name (resolved) */
  name: string
  /** between two refreshes (ms); default: the poll_interval of the backends its live runs use (local only: 2 s) */
  intervalMs?: number
  now: Clock
  log: (line: string) => void
  signal?: AbortSignal
}

export interface SweepWatchResult extends SweepSummary {
  sweep: true
  /** every transition printed, as printed */
  changes: string[]
  /** Ctrl-C ended the watching while variants were still live (their jobs go on) */
  stopped: boolean
  /** what collect said of each variant that ended while watched */
  collected: Array<{variant: string; message: string}>
}

/**
 * Follow every variant of a sweep until none has a live run: one refresh of all their runs per interval (one
 * backend call per backend), the orchestration log and status table brought up to date each time (observeSweep),
 * each transition printed once; then collect the variants that ended while watched (or before, results still waiting) and summarise the sweep.
 */
export async function watchSweep(ws: Workspace, options: SweepWatchOptions): Promise<SweepWatchResult> {
  const context = {advance: true, log: options.log, now: options.now, ws}
  const refresh = async () => {
    const [snap] = await runsOf(ws, options.name, context)
    await observeSweepEntries({experiment: snap.name, now: options.now(), workspace: ws})
    return snap
  }
  let snap = await refresh()
  const runs = () => variantRuns(snap)
  if (runs().every((v) => !v.run))
    throw new ExpError(`no variant of ${snap.name} has been launched yet.`, {
      code: 'NO_RUNS',
      suggestion: `exp launch ${snap.name}`,
    })
  const changes: string[] = []
  const say = (line: string) => {
    changes.push(line)
    options.log(line)
  }
  // what has happened before the watch started is summed up in one line per variant, not replayed
  const seen = new Set<string>()
  for (let pass = 0; pass < 3; pass++) for (const t of sweepTransitions(snap, seen, options.now())) seen.add(t.key)
  say(`[${logStamp(options.now())}] sweep ${snap.name}: ${runs().length} variants`)
  for (const v of runs())
    say(
      `  ${v.variant}: ${v.run ? `${v.run.state} (run ${v.run.run_id}, ${v.run.backend}) — ${v.run.stages.map((s) => `${s.name} ${s.state}`).join(', ')}` : 'not launched'}`,
    )
  const watched = new Set(
    runs()
      .filter((v) => v.run && isLive(v.run.state))
      .map((v) => v.run!.run_id),
  )
  const live = () => runs().filter((v) => v.run && isLive(v.run.state))
  const intervalMs = options.intervalMs ?? defaultIntervalMs(ws, snap)
  while (live().length > 0 && !options.signal?.aborted) {
    await sleep(intervalMs, options.signal)
    if (options.signal?.aborted) break
    snap = await refresh()
    for (const v of live()) watched.add(v.run!.run_id)
    for (let pass = 0; pass < 3; pass++) {
      const fresh = sweepTransitions(snap, seen, options.now())
      for (const t of fresh) say(transitionLine(t))
      for (const t of fresh) seen.add(t.key)
    }
  }
  const stopped = live().length > 0
  const collected: SweepWatchResult['collected'] = []
  if (!stopped) {
    for (const v of runs()) {
      // local runs wrote into their folders already: collect is a no-op for them
      if (!v.run || v.run.backend === 'local' || (v.run.state !== 'completed' && v.run.state !== 'failed')) continue
      const backend = await backendFor(v.run.backend)
      // a run that ended before the first refresh was never seen live: it is collected if its results still wait
      if (!watched.has(v.run.run_id) && !backend.awaitsCollect?.(v.run)) continue
      const variantDir = snap.variants!.find((s) => s.name === v.variant)!.dir
      const result = await backend.collect({experimentDir: variantDir, record: v.run}, context)
      collected.push({message: result.message, variant: v.variant})
    }
    if (collected.length > 0) snap = await refresh()
  }
  return {...summariseSweep(ws, snap, options.now()), changes, collected, stopped, sweep: true}
}

export function transitionLine(t: Transition): string {
  const details = t.details === undefined ? [] : Array.isArray(t.details) ? t.details : [t.details]
  return `[${logStamp(new Date(t.at))}] ${t.action}: ${t.description}${details.length > 0 ? ` — ${details.join('; ')}` : ''}`
}

function defaultIntervalMs(ws: Workspace, snap: ExperimentSnapshot): number {
  const backends = new Set(variantRuns(snap).flatMap((v) => (v.run && isLive(v.run.state) ? [v.run.backend] : [])))
  const seconds = [...backends].map((b) => (b === 'local' ? 2 : ws.settings.backends[b].poll_interval))
  return Math.min(...seconds, 60) * 1000
}

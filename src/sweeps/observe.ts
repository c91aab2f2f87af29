import path from 'node:path'

import {classify} from '../classify/classify.js'
import {resolveExperiment} from '../experiments/resolve.js'
import {scanExperiments} from '../experiments/scan.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {Workspace} from '../workspace/workspace.js'
import {appendTransitions} from './orchestration-log.js'
import {sweepTransitions, type Transition, variantRuns} from './observe-transitions.js'
import {SUMMARY_FILE} from './record.js'
import {renderStatusTable, statusRows, writeStatusTable} from './status-table.js'

export interface ObserveOptions {
  workspace: Workspace
  /** the experiment's directory name (or its name without the date, when unique) */
  experiment: string
  now?: Date
}

/**
 * Bring a sweep's orchestration log (`launch.log`) and the status table of its `experiment_summary.md` up to date
 * with its variants' run records as they are on disk. Launch, watch and refresh call it whenever they have refreshed
 * the runs; it asks no backend anything. Not a sweep, or archived: nothing to do.
 */
export async function observeSweep(options: ObserveOptions): Promise<void> {
  await observeSweepEntries(options)
}

/** observeSweep, returning the entries this call appended (others may have been appended by a concurrent observer). */
export async function observeSweepEntries(options: ObserveOptions): Promise<Transition[]> {
  const ws = options.workspace
  const located = await resolveExperiment(ws, options.experiment)
  if (located.location === 'archive') return []
  const now = options.now ?? new Date()
  let sweep: ExperimentSnapshot | undefined
  return appendTransitions({
    after: async () => {
      if (sweep) await writeStatusTable(path.join(sweep.dir, SUMMARY_FILE), sweepStatusTable(ws, sweep, now))
    },
    // read under the lock: what the previous observer logged and what the records say now belong together
    async derive(logged) {
      const [snapshot] = await scanExperiments(ws, {location: 'experiments', now: () => now, only: [located.name]})
      sweep = snapshot?.sweep ? snapshot : undefined
      return sweep ? sweepTransitions(sweep, logged, now) : []
    },
    dir: path.join(ws.paths.experiments, located.name),
    lockFile: path.join(ws.paths.state, 'observe', `${located.name}.lock`),
  })
}

/** The promote metric of each variant (its newest report), by variant name. */
export function variantMetrics(ws: Workspace, sweep: ExperimentSnapshot, now: Date): Map<string, number | undefined> {
  const {direction, metric} = ws.settings.promote
  const classification = classify(sweep, {direction, metric, now, staleDays: ws.settings.classification.stale_days})
  return new Map((classification.variants ?? []).map((v) => [v.name, v.metric]))
}

export function sweepStatusTable(ws: Workspace, sweep: ExperimentSnapshot, now: Date): string {
  return renderStatusTable(statusRows(variantRuns(sweep), variantMetrics(ws, sweep, now)), ws.settings.promote.metric)
}

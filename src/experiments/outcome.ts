import {formatMeasured} from '../lib/format.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {showExperiment} from './details.js'
import type {ListedExperiment} from './listing.js'

/** Where an experiment stands after a run: its status, state and reason, and promote.metric from its newest report. */
export type Outcome = Pick<ListedExperiment, 'metric' | 'name' | 'reason' | 'state' | 'status'>

export async function experimentOutcome(ws: Workspace, name: string, options: {now: Clock}): Promise<Outcome> {
  const d = await showExperiment(ws, name, options)
  return {metric: d.metric, name: d.name, reason: d.reason, state: d.state, status: d.status}
}

/** `2026-11-30-lat2: success — final_nrmse 0.027 (0.027003880441965354); <reason>` */
export function outcomeLine(o: Outcome): string {
  const value = o.metric === null ? '' : ` — ${o.metric.name} ${typeof o.metric.value === 'number' ? formatMeasured(o.metric.value) : String(o.metric.value)}`
  return `${o.name}: ${o.status}${o.state ? ` (${o.state})` : ''}${value}; ${o.reason}`
}

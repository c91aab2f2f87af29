import type {Status} from '../classify/classify.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {formatAge} from '../lib/time.js'
import type {ListedExperiment} from './listing.js'

/** The experiments table list and archive --list-only print (a variants column when there is a sweep to count). */
export function renderExperimentTable(experiments: ListedExperiment[], metric: string): string {
  const sweeps = experiments.some((e) => e.variants !== null)
  const variants = (e: ListedExperiment) => (sweeps ? [e.variants ?? ''] : [])
  return renderTable(
    ['name', 'status', ...(sweeps ? ['variants'] : []), 'last activity', metric, 'reason'],
    experiments.map((e) => [
      e.location === 'archive' ? `${e.name} (archived)` : e.name,
      e.status,
      ...variants(e),
      `${formatAge(e.idle_ms)} ago`,
      e.metric === null ? undefined : typeof e.metric.value === 'number' ? formatNumber(e.metric.value) : String(e.metric.value),
      e.reason,
    ]),
  )
}

export function renderSummary(summary: Record<Status, number>): string {
  return `Active: ${summary.active}  Success: ${summary.success}  Failed: ${summary.failed}  Stale: ${summary.stale}`
}

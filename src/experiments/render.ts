import ansis from 'ansis'

import type {Status} from '../classify/classify.js'
import {type OutputStyle, truncate} from '../lib/format.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {formatAge} from '../lib/time.js'
import type {ListedExperiment} from './listing.js'

/** A reason in a table: one line of at most 100 characters (exp show and --json have it whole). */
export const TABLE_REASON_MAX = 100

const STATUS_COLOURS: Record<Status, (text: string) => string> = {
  active: (t) => ansis.yellow(t),
  failed: (t) => ansis.red(t),
  stale: (t) => ansis.gray(t),
  success: (t) => ansis.green(t),
}

/** Colour a status cell (`success`, `active (idle)`…) by the status it starts with. */
export function paintStatus(header: string, text: string): string {
  if (header !== 'status') return text
  const status = text.split(' ')[0] as Status
  return STATUS_COLOURS[status]?.(text) ?? text
}

/** `active (running)`, `stale (idle)`, `success`: the status with its state detail. */
export function statusCell(e: Pick<ListedExperiment, 'state' | 'status'>): string {
  return e.state ? `${e.status} (${e.state})` : e.status
}

export const LIST_FORMATS = ['table', 'csv', 'md'] as const
export type ListFormat = (typeof LIST_FORMATS)[number]

/** A config value in a column: text as is, anything else as JSON; absent is null. */
export function paramCell(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? value : JSON.stringify(value)
}

export function metricCell(metric: ListedExperiment['metric']): string | undefined {
  if (metric === null) return undefined
  return typeof metric.value === 'number' ? formatNumber(metric.value) : String(metric.value)
}

/** The experiments table list and archive --list-only print (a variants column when there is a sweep to count). */
export function renderExperimentTable(experiments: ListedExperiment[], metric: string, style: Partial<OutputStyle> = {}, extra: {headers: string[]; cells: (e: ListedExperiment) => Array<string | undefined>} = {cells: () => [], headers: []}): string {
  const sweeps = experiments.some((e) => e.variants !== null)
  const variants = (e: ListedExperiment) => (sweeps ? [e.variants ?? ''] : [])
  return renderTable(
    ['name', 'status', ...(sweeps ? ['variants'] : []), 'last activity', metric, ...extra.headers, 'reason'],
    experiments.map((e) => [
      e.location === 'archive' ? `${e.name} (archived)` : e.name,
      statusCell(e),
      ...variants(e),
      `${formatAge(e.idle_ms)} ago`,
      metricCell(e.metric),
      ...extra.cells(e),
      style.wide ? e.reason : truncate(e.reason.replace(/\s+/g, ' '), TABLE_REASON_MAX),
    ]),
    {...style, optional: ['variants', 'last activity'], paint: paintStatus, shrink: ['reason'], shrinkStart: ['name']},
  )
}

export function renderSummary(summary: Record<Status, number>): string {
  return `Active: ${summary.active}  Success: ${summary.success}  Failed: ${summary.failed}  Stale: ${summary.stale}`
}

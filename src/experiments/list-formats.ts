import {type Cell, renderCsv, renderMarkdownTable} from '../lib/table-formats.js'
import type {ListedExperiment} from './listing.js'
import {type ListFormat, metricCell, paramCell} from './render.js'

/** `exp list --format csv|md`: name, status, state, the metric, the --params columns and the whole reason. */
export async function renderListAs(format: Exclude<ListFormat, 'table'>, experiments: ListedExperiment[], metric: string, params: string[]): Promise<string> {
  const headers = ['name', 'status', 'state', metric, ...params, 'reason']
  const rows = experiments.map((e): Cell[] => [
    e.name,
    e.status,
    e.state,
    format === 'csv' ? (e.metric === null ? null : (e.metric.value as Cell)) : (metricCell(e.metric) ?? null),
    ...params.map((k) => paramCell(e.params?.[k])),
    e.reason,
  ])
  return format === 'csv' ? (await renderCsv(headers, rows)).trimEnd() : renderMarkdownTable(headers, rows)
}

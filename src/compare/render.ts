import {formatValue} from '../config/config-file.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {renderCsv, renderMarkdownTable} from '../lib/table-formats.js'
import type {CompareResult} from './compare.js'

/** `exp compare` as text: a table, CSV (csv-stringify, formulas escaped) or a Markdown table. */

function headers(result: CompareResult): string[] {
  return ['rank', 'subject', 'status', ...result.params, ...result.metrics]
}

function cells(result: CompareResult, raw: boolean): Array<Array<string | number | null>> {
  return result.rows.map((row) => [
    row.rank,
    row.subject,
    row.status,
    ...result.params.map((k) => (row.params[k] === null ? null : formatValue(row.params[k]))),
    ...result.metrics.map((m) =>
      row.metrics[m] === null ? null : raw ? row.metrics[m] : formatNumber(row.metrics[m]!),
    ),
  ])
}

export function renderCompareTable(result: CompareResult): string {
  const table = renderTable(headers(result), cells(result, false))
  const by = `Best first by ${result.sort.metric} (${result.sort.direction === 'min' ? 'lower' : 'higher'} is better).`
  const note = result.params.length === 0 ? ' The configs do not differ.' : ''
  return `${table}\n\n${by}${note}`
}

export async function renderCompareCsv(result: CompareResult): Promise<string> {
  return renderCsv(headers(result), cells(result, true))
}

export function renderCompareMarkdown(result: CompareResult): string {
  return renderMarkdownTable(headers(result), cells(result, false))
}

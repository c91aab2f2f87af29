import {formatNumber, type OutputStyle, truncate} from './format.js'

export {formatNumber} from './format.js'

export interface TableOptions extends Partial<OutputStyle> {
  /** columns (by header) that are cut first when the table is wider than `width`: reasons and paths */
  shrink?: string[]
  /** colour a cell's text (called only when `colour` is on): e.g. statuses */
  paint?: (header: string, text: string) => string
}

/**
 * A plain text table, no box drawing, safe to pipe. Columns are padded to their widest cell; with a `width`
 * the `shrink` columns (then the widest others) are cut with `…` until every line fits.
 */
export function renderTable(headers: string[], rows: Array<Array<string | number | undefined | null>>, options: TableOptions = {}): string {
  const cells = rows.map((row) => headers.map((_, i) => cellText(row[i])))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)))
  if (options.width !== undefined) fit(widths, headers, options.width, options.shrink ?? [])
  const paint = options.colour && options.paint ? options.paint : undefined
  const line = (row: string[], header: boolean) =>
    row
      .map((cell, i) => {
        const text = truncate(cell, widths[i])
        const shown = paint && !header ? paint(headers[i], text) : text
        return i === row.length - 1 ? shown : shown + ' '.repeat(widths[i] - text.length)
      })
      .join('  ')
      .trimEnd()
  return [line(headers.map((h) => h.toUpperCase()), true), ...cells.map((row) => line(row, false))].join('\n')
}

/** Narrow columns (in place) until the row fits `width`: the shrinkable ones down to 12, then the widest. */
function fit(widths: number[], headers: string[], width: number, shrink: string[]): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  for (const name of [...shrink].reverse()) {
    const i = headers.indexOf(name)
    if (i < 0) continue
    widths[i] = Math.max(Math.min(widths[i], 12), widths[i] - (total() - width))
    if (total() <= width) return
  }
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths))
    if (widths[widest] <= 3) return
    widths[widest]--
  }
}

function cellText(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '-'
  if (typeof value === 'number') return formatNumber(value)
  return value.replace(/\s+/g, ' ')
}

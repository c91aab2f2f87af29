import {formatNumber, type OutputStyle, truncate} from './format.js'

export {formatNumber} from './format.js'

export interface TableOptions extends Partial<OutputStyle> {
  /** columns (by header) cut with `…` when the table is wider than `width`, first listed first: reasons */
  shrink?: string[]
  /** columns cut at their start (`…tail`) instead: names and paths, whose end tells them apart */
  shrinkStart?: string[]
  /** columns left out, last first, when cutting is not enough (a leaderboard's parameter columns) */
  optional?: string[]
  /** colour a cell's text (called only when `colour` is on): e.g. statuses */
  paint?: (header: string, text: string) => string
}

export interface FittedTable {
  text: string
  /** the optional columns left out to fit the width */
  hidden: string[]
}

/** A plain text table: no box drawing, safe to pipe (see renderFittedTable for the width rules). */
export function renderTable(
  headers: string[],
  rows: Array<Array<string | number | undefined | null>>,
  options: TableOptions = {},
): string {
  return renderFittedTable(headers, rows, options).text
}

/**
 * A plain text table. Columns are padded to their widest cell; with a `width` the `shrink`/`shrinkStart` columns
 * are cut with `…` (down to 20 characters), then `optional` columns left out, then the cut ones cut further (down to 8),
 * then the widest, until every line fits.
 */
export function renderFittedTable(
  headers: string[],
  rows: Array<Array<string | number | undefined | null>>,
  options: TableOptions = {},
): FittedTable {
  let cells = rows.map((row) => headers.map((_, i) => cellText(row[i])))
  let names = headers
  // a loop, not Math.max(...column): spreading thousands of cells as arguments cost 25 ms at 1,000 rows
  let widths = names.map((h, i) => cells.reduce((w, row) => Math.max(w, row[i].length), h.length))
  const hidden: string[] = []
  if (options.width !== undefined) {
    const width = options.width
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
    const cut = (floor: number) => {
      for (const name of [...(options.shrink ?? []), ...(options.shrinkStart ?? [])]) {
        const i = names.indexOf(name)
        if (i >= 0 && total() > width) widths[i] = Math.max(Math.min(widths[i], floor), widths[i] - (total() - width))
      }
    }
    cut(20)
    for (const name of [...(options.optional ?? [])].reverse()) {
      const i = names.indexOf(name)
      if (i < 0 || total() <= width) continue
      hidden.unshift(name)
      names = names.filter((_, j) => j !== i)
      widths = widths.filter((_, j) => j !== i)
      cells = cells.map((row) => row.filter((_, j) => j !== i))
    }
    cut(8)
    while (total() > width) {
      const widest = widths.indexOf(Math.max(...widths))
      if (widths[widest] <= 3) break
      widths[widest]--
    }
  }
  const fromStart = new Set(options.shrinkStart ?? [])
  const paint = options.colour && options.paint ? options.paint : undefined
  const line = (row: string[], header: boolean) =>
    row
      .map((cell, i) => {
        const text = fromStart.has(names[i]) && !header ? truncateStart(cell, widths[i]) : truncate(cell, widths[i])
        const shown = paint && !header ? paint(names[i], text) : text
        return i === row.length - 1 ? shown : shown + ' '.repeat(widths[i] - text.length)
      })
      .join('  ')
      .trimEnd()
  return {
    hidden,
    text: [
      line(
        names.map((h) => h.toUpperCase()),
        true,
      ),
      ...cells.map((row) => line(row, false)),
    ].join('\n'),
  }
}

function truncateStart(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

function cellText(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '-'
  if (typeof value === 'number') return formatNumber(value)
  return value.replace(/\s+/g, ' ')
}

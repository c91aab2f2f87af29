import {formatDuration} from '../lib/time.js'
import type {GraphView} from './show.js'

const HEADERS = ['NODE', 'ACTION', 'STATUS', 'EXPERIMENT', 'RUN', 'DURATION', 'VERDICT', 'WHY']
const COLUMNS = HEADERS.length

/** A cell as lib/table.ts shows it: '-' for none, whitespace runs as one space (tested before replacing). */
const cell = (value: string | null): string =>
  value === null ? '-' : /\s\s|[^\S ]/.test(value) ? value.replace(/\s+/g, ' ') : value

/**
 * `exp graph show`'s table and its summary line (version, counts per status, the next node). The table is the one
 * renderTable prints without a width (every column padded to its widest cell, two spaces apart, no trailing space),
 * built in one pass over flat cells and one join: through the general table 1,000 nodes cost 5 ms of arrays.
 */
export function renderGraphView(view: GraphView): string {
  const cells: string[] = Array.from({length: (view.nodes.length + 1) * COLUMNS})
  const widths = HEADERS.map((h) => h.length)
  const put = (at: number, text: string) => {
    cells[at] = text
    const column = at % COLUMNS
    if (text.length > widths[column]) widths[column] = text.length
  }
  for (let i = 0; i < COLUMNS; i++) cells[i] = HEADERS[i]
  let at = COLUMNS
  for (const n of view.nodes) {
    put(at++, cell(n.id))
    put(at++, cell(n.action))
    put(at++, n.runnable ? 'runnable' : cell(n.status))
    put(at++, cell(n.experiment))
    put(at++, cell(n.run))
    put(at++, n.duration_s === null ? '-' : formatDuration(n.duration_s * 1000))
    put(at++, cell(n.verdict))
    put(at++, cell(n.why))
  }
  const lines: string[] = Array.from({length: view.nodes.length + 1})
  for (let row = 0, first = 0; first < cells.length; row++, first += COLUMNS) {
    let line = ''
    for (let c = 0; c < COLUMNS - 1; c++) line += cells[first + c].padEnd(widths[c]) + '  '
    lines[row] = (line + cells[first + COLUMNS - 1]).trimEnd()
  }
  const counts = Object.entries(view.counts)
    .map(([s, c]) => `${c} ${s}`)
    .join(', ')
  lines.push(
    `\n${view.file} version ${view.version}: ${view.nodes.length} nodes (${counts})${view.next ? `; next: ${view.next}` : ''}.`,
  )
  return lines.join('\n')
}

/** The nodes whose status this look brought up to date (the first five), or undefined. */
export function graphViewNote(view: GraphView): string | undefined {
  if (view.updated.length === 0) return undefined
  const shown = view.updated.slice(0, 5).map((id) => `${id} → ${view.nodes.find((n) => n.id === id)?.status}`)
  return `Brought up to date: ${shown.join(', ')}${view.updated.length > 5 ? ` and ${view.updated.length - 5} more` : ''}.`
}

import {renderTable} from '../lib/table.js'
import {formatDuration} from '../lib/time.js'
import type {GraphView} from './show.js'

/** `exp graph show`'s table and its summary line (version, counts per status, the next node). */
export function renderGraphView(view: GraphView): string {
  const rows = view.nodes.map((n) => [
    n.id,
    n.action,
    n.runnable ? 'runnable' : n.status,
    n.experiment,
    n.run,
    n.duration_s === null ? null : formatDuration(n.duration_s * 1000),
    n.verdict,
    n.why,
  ])
  const counts = Object.entries(view.counts)
    .map(([s, c]) => `${c} ${s}`)
    .join(', ')
  return [
    renderTable(['node', 'action', 'status', 'experiment', 'run', 'duration', 'verdict', 'why'], rows),
    `\n${view.file} version ${view.version}: ${view.nodes.length} nodes (${counts})${view.next ? `; next: ${view.next}` : ''}.`,
  ].join('\n')
}

/** The nodes whose status this look brought up to date (the first five), or undefined. */
export function graphViewNote(view: GraphView): string | undefined {
  if (view.updated.length === 0) return undefined
  const shown = view.updated.slice(0, 5).map((id) => `${id} → ${view.nodes.find((n) => n.id === id)?.status}`)
  return `Brought up to date: ${shown.join(', ')}${view.updated.length > 5 ? ` and ${view.updated.length - 5} more` : ''}.`
}

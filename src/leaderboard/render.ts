import type {OutputStyle} from '../lib/format.js'
import {formatNumber, renderFittedTable} from '../lib/table.js'
import {FIXED_COLUMNS, type LeaderboardView} from './leaderboard.js'

/** `2026-11-30T07:20:28.467Z` → `2026-11-30 07:20` (UTC): a date a person reads; --json keeps the full timestamp. */
export function readableTime(value: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(value)
  return match ? `${match[1]} ${match[2]}` : value
}

/**
 * The leaderboard table for a terminal: rank, experiment, config, the metric and when it was promoted always;
 * the other columns (gates, parameters, other metrics) left out from the right when they do not fit.
 */
export function renderLeaderboardTable(
  view: LeaderboardView,
  style: Partial<OutputStyle>,
): {text: string; hidden: string[]} {
  const kept = new Set<string>([...FIXED_COLUMNS, view.metric ?? '', 'promoted_at'])
  const rows = view.rows.map((r) => view.columns.map((c) => cell(c, r[c])))
  return renderFittedTable(view.columns, rows, {
    ...style,
    optional: view.columns.filter((c) => !kept.has(c)),
    shrinkStart: ['experiment', 'config'],
  })
}

function cell(column: string, value: string | number | boolean | null): string | undefined {
  if (value === null) return undefined
  if (typeof value === 'number') return formatNumber(value)
  return column === 'promoted_at' ? readableTime(String(value)) : String(value)
}

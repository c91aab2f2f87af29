import {formatNumber} from '../lib/table.js'
import type {LeaderboardView} from './leaderboard.js'

/**
 * The leaderboard as one self-contained HTML page: the table and an inline SVG bar chart of the ranking metric
 * per experiment. No scripts, no network, no external assets (a Content-Security-Policy says so to the browser);
 * every value is escaped.
 */
export interface HtmlOptions {
  generatedAt: Date
  title?: string
}

/** Written into every page, so `exp leaderboard --html` recognises a page it may replace. */
const GENERATOR = '<meta name="generator" content="exp leaderboard">'

export function isLeaderboardHtml(head: string): boolean {
  return head.includes(GENERATOR)
}

const CHART = {barHeight: 22, gap: 8, labelWidth: 260, barWidth: 420, valueWidth: 110, top: 10}

export function renderLeaderboardHtml(view: LeaderboardView, options: HtmlOptions): string {
  const title = options.title ?? 'exp leaderboard'
  const metric = view.metric
  const body =
    view.rows.length === 0
      ? '<p class="empty">No promotions yet: <code>exp promote NAME</code> adds the first row.</p>'
      : `${chart(view)}\n${table(view)}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${GENERATOR}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  p.meta { color: #57606a; margin: 0 0 1.5rem; }
  table { border-collapse: collapse; margin-top: 1.5rem; }
  th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .7rem; text-align: left; white-space: nowrap; }
  th { background: #f6f8fa; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  svg text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
  svg rect.bar { fill: #2f81f7; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${view.total} experiment(s)${metric ? `, ranked by <b>${esc(metric)}</b>` : ''}${view.rows.length < view.total ? ` (top ${view.rows.length} shown)` : ''}; generated ${esc(options.generatedAt.toISOString())}.</p>
${body}
</body>
</html>
`
}

function chart(view: LeaderboardView): string {
  const metric = view.metric ?? ''
  const values = view.rows.map((r) => (typeof r[metric] === 'number' ? (r[metric] as number) : undefined))
  const scale = Math.max(0, ...values.map((v) => (v === undefined ? 0 : Math.abs(v))))
  const {barHeight, barWidth, gap, labelWidth, top, valueWidth} = CHART
  const height = top * 2 + view.rows.length * (barHeight + gap)
  const width = labelWidth + barWidth + valueWidth
  const bars = view.rows.map((r, i) => {
    const v = values[i]
    const y = top + i * (barHeight + gap)
    const w = v === undefined || scale === 0 ? 0 : Math.max(1, (Math.abs(v) / scale) * barWidth)
    const label = `${r.rank ?? i + 1}. ${String(r.experiment ?? '')}`
    return [
      `<g class="row" data-experiment="${esc(String(r.experiment ?? ''))}">`,
      `<text class="label" x="${labelWidth - 8}" y="${y + barHeight / 2}" text-anchor="end" dominant-baseline="middle">${esc(label)}</text>`,
      `<rect class="bar" x="${labelWidth}" y="${y}" width="${round(w)}" height="${barHeight}" data-value="${v ?? ''}"><title>${esc(`${r.experiment}: ${metric} ${v ?? 'n/a'}`)}</title></rect>`,
      `<text class="value" x="${labelWidth + round(w) + 6}" y="${y + barHeight / 2}" dominant-baseline="middle">${v === undefined ? 'n/a' : esc(formatNumber(v))}</text>`,
      '</g>',
    ].join('')
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${metric} per experiment`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${bars.join('\n')}\n</svg>`
}

function table(view: LeaderboardView): string {
  const head = view.columns.map((c) => `<th>${esc(c)}</th>`).join('')
  const rows = view.rows.map((r) => {
    const cells = view.columns.map((c) => {
      const v = r[c]
      if (typeof v === 'number') return `<td class="num">${esc(formatNumber(v))}</td>`
      return `<td>${esc(v === null || v === undefined ? '' : String(v))}</td>`
    })
    return `<tr>${cells.join('')}</tr>`
  })
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}

/** Escape text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;'})[c]!)
}

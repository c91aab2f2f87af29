import {formatNumber} from '../lib/table.js'
import type {LeaderboardView} from './leaderboard.js'
import {readableTime} from './render.js'

/**
 * The leaderboard as one self-contained HTML page: the table and an inline SVG bar chart of the ranking metric
 * per experiment. No scripts, no network, no external assets (a Content-Security-Policy says so to the browser);
 * every value is escaped.
 */
export interface HtmlOptions {
  generatedAt: Date
  title?: string
  /** which way the metric is better (promote.direction): said on the page */
  direction?: 'min' | 'max'
  /** the metric's threshold when one is recorded (exp.yaml gates): drawn as a line across the bars */
  threshold?: number
  /** the link to a row's production config, relative to the page (none: the config is plain text) */
  configHref?: (config: string) => string | undefined
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
      : `${chart(view, options.threshold)}\n<div class="scroll">\n${table(view, options)}\n</div>`
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
  svg.chart { max-width: 100%; height: auto; }
  div.scroll { overflow-x: auto; max-width: 100%; margin-top: 1.5rem; }
  table { border-collapse: collapse; }
  th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .7rem; text-align: left; white-space: nowrap; }
  th { background: #f6f8fa; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  svg text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
  svg rect.bar { fill: #2f81f7; }
  svg line.threshold { stroke: #cf222e; stroke-width: 2; stroke-dasharray: 6 4; }
  svg text.threshold { fill: #cf222e; }
  @media (max-width: 600px) { body { margin: 1rem; } }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${view.total} experiment(s)${metric ? `, ranked by <b>${esc(metric)}</b>` : ''}${view.rows.length < view.total ? ` (top ${view.rows.length} shown)` : ''}${metric && options.direction ? `; <span class="direction">${options.direction === 'min' ? 'lower' : 'higher'} is better</span>` : ''}${options.threshold === undefined ? '' : `; threshold ${esc(formatNumber(options.threshold))}`}; generated ${timeTag(options.generatedAt.toISOString())}.</p>
${body}
</body>
</html>
`
}

function chart(view: LeaderboardView, threshold: number | undefined): string {
  const metric = view.metric ?? ''
  const values = view.rows.map((r) => (typeof r[metric] === 'number' ? (r[metric] as number) : undefined))
  const scale = Math.max(0, Math.abs(threshold ?? 0), ...values.map((v) => (v === undefined ? 0 : Math.abs(v))))
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
  if (threshold !== undefined && scale > 0) {
    const x = round(labelWidth + (Math.abs(threshold) / scale) * barWidth)
    bars.push(
      `<line class="threshold" x1="${x}" y1="2" x2="${x}" y2="${height - 2}" data-value="${threshold}"><title>${esc(`threshold ${threshold}`)}</title></line>`,
      `<text class="threshold" x="${x + 4}" y="${height - 4}">${esc(`threshold ${formatNumber(threshold)}`)}</text>`,
    )
  }
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${metric} per experiment`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${bars.join('\n')}\n</svg>`
}

function table(view: LeaderboardView, options: HtmlOptions): string {
  const head = view.columns.map((c) => `<th>${esc(c)}</th>`).join('')
  const rows = view.rows.map((r) => {
    const cells = view.columns.map((c) => {
      const v = r[c]
      if (typeof v === 'number') return `<td class="num">${esc(formatNumber(v))}</td>`
      const text = v === null || v === undefined ? '' : String(v)
      const href = c === 'config' && text ? options.configHref?.(text) : undefined
      if (href) return `<td><a href="${esc(href)}">${esc(text)}</a></td>`
      if (c === 'promoted_at' && text) return `<td>${timeTag(text)}</td>`
      return `<td>${esc(text)}</td>`
    })
    return `<tr>${cells.join('')}</tr>`
  })
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`
}

/** A timestamp as a person reads it (`2026-11-30 07:20 UTC`), the exact one kept in `datetime`. */
function timeTag(iso: string): string {
  const shown = readableTime(iso)
  return shown === iso ? esc(iso) : `<time datetime="${esc(iso)}">${esc(shown)} UTC</time>`
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}

/** Escape text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;'})[c]!)
}

import {formatNumber} from '../lib/table.js'
import {CHART, curveGeometry, sparkPoints} from './curve-geometry.js'
import {html, PALETTE, type SafeHtml} from './html.js'

/**
 * Hand-drawn inline SVG: a line chart (training curves, one polyline per run) and a sparkline. A few dozen lines
 * do what exp needs, with no dependency, no script and no layout engine; charting libraries either draw with
 * JavaScript in the browser (which a page that runs no scripts cannot do) or bring far more than two plots need.
 */
export interface Series {
  label: string
  /** flat: x, y, x, y, ... */
  points: ArrayLike<number>
}

const {height: H, width: W} = CHART
const PAD = CHART

/** Log scale when every value is positive and they span more than two decades. */
export function wantsLog(values: readonly number[]): boolean {
  if (values.length === 0 || values.some((v) => v <= 0)) return false
  return Math.max(...values) / Math.min(...values) > 100
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return widen(lo, hi)
}

/** A range of one value gets a unit either side. */
const widen = (lo: number, hi: number): [number, number] => (lo === hi ? [lo - 1, hi + 1] : [lo, hi])

const r2 = (n: number) => Math.round(n * 100) / 100

/**
 * Lines of y against x. The <svg> carries its mapping (data-scale, data-y-min/max, data-top/bottom) so a reader
 * (a test) can turn a point's coordinates back into the value it plots.
 */
export function lineChart(series: readonly Series[], options: {xLabel: string; yLabel: string}): SafeHtml {
  const geometry = curveGeometry(series.map((s) => s.points))
  const {log, x0, x1, y0, y1} = geometry
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = y0 + f * (y1 - y0)
    const y = r2(H - PAD.bottom - f * (H - PAD.top - PAD.bottom))
    return html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/><text x="${PAD.left - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatNumber(log ? 10 ** t : t)}</text>`
  })
  const lines = series.map(
    (s, i) =>
      html`<polyline class="curve" data-series="${s.label}" data-count="${s.points.length / 2}" stroke="${PALETTE[i % PALETTE.length]}" points="${geometry.points[i]}"><title>${s.label}</title></polyline>`,
  )
  const legend = series.map(
    (s, i) => html`<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${s.label}</span>`,
  )
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${options.yLabel} against ${options.xLabel}" data-scale="${log ? 'log' : 'linear'}" data-y-min="${y0}" data-y-max="${y1}" data-top="${PAD.top}" data-bottom="${H - PAD.bottom}">
${ticks}
<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>
<text x="${PAD.left}" y="${H - 8}">${formatNumber(x0)}</text><text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${formatNumber(x1)}</text>
<text x="${(W + PAD.left) / 2}" y="${H - 8}" text-anchor="middle">${options.xLabel}${log ? ` · ${options.yLabel} on a log scale` : ''}</text>
${lines}
</svg><figcaption class="legend">${legend}</figcaption></figure>`
}

/** A small curve for a table cell: the shape of a curve's y values (flat x, y, ...), no axes. */
export function sparkline(curve: ArrayLike<number>): SafeHtml {
  if (curve.length === 0) return html`<span class="muted">—</span>`
  const [w, h] = [100, 24]
  return html`<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="last training curve"><polyline stroke="${PALETTE[0]}" points="${sparkPoints(curve)}"/></svg>`
}

/** One variant in a sweep chart: x is its parameter's value (a number or a category), y its metric when it has one. */
export interface PlotPoint {
  label: string
  x: unknown
  y?: number
  best: boolean
  failed: boolean
}

/**
 * One marker per point: y against a numeric x (log when the values span decades) or against categories in order of
 * appearance. A point without y sits on the x axis. Each marker carries data-variant/data-x/data-y for a reader.
 */
export function pointChart(
  points: readonly PlotPoint[],
  options: {key: string; xLabel: string; yLabel: string},
): SafeHtml {
  const numeric = points.every((p) => typeof p.x === 'number' && Number.isFinite(p.x))
  const categories = numeric ? [] : [...new Set(points.map((p) => String(p.x)))]
  const xs = numeric ? points.map((p) => p.x as number) : categories.map((_, i) => i)
  const xLog = numeric && wantsLog(xs)
  const tx = (v: number) => (xLog ? Math.log10(v) : v)
  const [x0, x1] = numeric ? extent(xs.map(tx)) : [-0.5, Math.max(0.5, categories.length - 0.5)]
  const ys = points.flatMap((p) => (p.y === undefined ? [] : [p.y]))
  const yLog = wantsLog(ys)
  const ty = (v: number) => (yLog ? Math.log10(v) : v)
  const [y0, y1] = ys.length === 0 ? [0, 1] : extent(ys.map(ty))
  const sx = (p: PlotPoint) =>
    PAD.left +
    (((numeric ? tx(p.x as number) : categories.indexOf(String(p.x))) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right)
  const sy = (y: number | undefined) =>
    y === undefined ? H - PAD.bottom : H - PAD.bottom - ((ty(y) - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom)
  const marks = points.map((p) => {
    const [cx, cy] = [r2(sx(p)), r2(sy(p.y))]
    const cls = `point${p.best ? ' best' : ''}${p.failed ? ' failed' : ''}${p.y === undefined ? ' no-metric' : ''}`
    const title = html`<title>${p.label}: ${options.xLabel} ${String(p.x)}, ${options.yLabel} ${p.y === undefined ? 'none' : formatNumber(p.y)}</title>`
    const data = {x: String(p.x), y: p.y === undefined ? '' : String(p.y)}
    if (p.failed)
      return html`<path class="${cls}" data-variant="${p.label}" data-x="${data.x}" data-y="${data.y}" d="M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx - 5},${cy + 5}L${cx + 5},${cy - 5}">${title}</path>`
    if (p.best)
      return html`<path class="${cls}" data-variant="${p.label}" data-x="${data.x}" data-y="${data.y}" d="M${cx},${cy - 7}L${cx + 7},${cy}L${cx},${cy + 7}L${cx - 7},${cy}Z">${title}</path>`
    return html`<circle class="${cls}" data-variant="${p.label}" data-x="${data.x}" data-y="${data.y}" cx="${cx}" cy="${cy}" r="4.5">${title}</circle>`
  })
  const xTicks = numeric
    ? html`<text x="${PAD.left}" y="${H - 8}">${formatNumber(xLog ? 10 ** x0 : x0)}</text><text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${formatNumber(xLog ? 10 ** x1 : x1)}</text>`
    : categories.map(
        (c, i) =>
          html`<text x="${r2(PAD.left + ((i - x0) / (x1 - x0)) * (W - PAD.left - PAD.right))}" y="${H - PAD.bottom + 12}" text-anchor="middle">${c}</text>`,
      )
  const yTicks =
    ys.length === 0
      ? ''
      : [0, 0.5, 1].map(
          (f) =>
            html`<text x="${PAD.left - 4}" y="${r2(H - PAD.bottom - f * (H - PAD.top - PAD.bottom))}" text-anchor="end" dominant-baseline="middle">${formatNumber(yLog ? 10 ** (y0 + f * (y1 - y0)) : y0 + f * (y1 - y0))}</text>`,
        )
  return html`<figure class="chart"><svg class="sweep" data-param="${options.key}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${options.yLabel} against ${options.xLabel}">
<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/><line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>
${yTicks}${xTicks}
<text x="${(W + PAD.left) / 2}" y="${H - 8}" text-anchor="middle">${options.yLabel} against ${options.xLabel}${xLog ? ' (log)' : ''}${yLog ? `, ${options.yLabel} on a log scale` : ''}</text>
${marks}
</svg></figure>`
}

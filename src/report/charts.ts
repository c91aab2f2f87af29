import {formatNumber} from '../lib/table.js'
import {html, PALETTE, type SafeHtml} from './html.js'

/**
 * Hand-drawn inline SVG: a line chart (training curves, one polyline per run) and a sparkline. A few dozen lines
 * do what exp needs, with no dependency, no script and no layout engine; charting libraries either draw with
 * JavaScript in the browser (which a page that runs no scripts cannot do) or bring far more than two plots need.
 */
export interface Series {
  label: string
  points: ReadonlyArray<readonly [number, number]>
}

const W = 640
const H = 260
const PAD = {bottom: 28, left: 56, right: 12, top: 10}
/** more points than this are thinned (first and last always kept), so a page stays small */
export const MAX_POINTS = 2000

/** Log scale when every value is positive and they span more than two decades. */
export function wantsLog(values: readonly number[]): boolean {
  if (values.length === 0 || values.some((v) => v <= 0)) return false
  return Math.max(...values) / Math.min(...values) > 100
}

export function thin<T>(points: readonly T[], max = MAX_POINTS): T[] {
  if (points.length <= max) return [...points]
  const step = (points.length - 1) / (max - 1)
  return Array.from({length: max}, (_, i) => points[Math.round(i * step)])
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
 * `${r2(n)}` for the many coordinates of a curve, without a float-to-string conversion each: n rounded to hundredths
 * is k / 100, and for |k| < 1e15 JavaScript prints that double as the decimal k / 100 (no shorter decimal maps to
 * it), so the digits come from integers. Anything else is printed as before.
 */
function coordinate(n: number): string {
  const k = Math.round(n * 100)
  if (!(Math.abs(k) < 1e15)) return `${k / 100}`
  const a = k < 0 ? -k : k
  const whole = Math.floor(a / 100)
  const cents = a - whole * 100
  const sign = k < 0 ? '-' : ''
  if (cents === 0) return `${sign}${whole}`
  return `${sign}${whole}.${cents % 10 === 0 ? cents / 10 : cents < 10 ? `0${cents}` : cents}`
}

/**
 * What wantsLog and extent give for every series' points together (x, and y on the scale chosen), in passes over
 * the points rather than four arrays of them: a page draws 1,000s of points and the garbage collector noticed.
 */
function seriesExtent(series: readonly Series[]): {log: boolean; x0: number; x1: number; y0: number; y1: number} {
  let count = 0
  let positive = true
  let [xLo, xHi, yLo, yHi] = [Infinity, -Infinity, Infinity, -Infinity]
  for (const s of series)
    for (const [x, y] of s.points) {
      count++
      // as Math.max/min over the values: a NaN makes the ratio NaN (no log scale)
      if (!(y > 0)) positive = false
      if (x < xLo) xLo = x
      if (x > xHi) xHi = x
      if (y < yLo) yLo = y
      if (y > yHi) yHi = y
    }
  const log = count > 0 && positive && yHi / yLo > 100
  if (log) {
    ;[yLo, yHi] = [Infinity, -Infinity]
    for (const s of series)
      for (const p of s.points) {
        const y = Math.log10(p[1])
        if (y < yLo) yLo = y
        if (y > yHi) yHi = y
      }
  }
  const [[x0, x1], [y0, y1]] = [widen(xLo, xHi), widen(yLo, yHi)]
  return {log, x0, x1, y0, y1}
}

/** A polyline's points attribute: "x,y x,y ..." */
function polylinePoints(count: number, x: (i: number) => number, y: (i: number) => number): string {
  let out = ''
  for (let i = 0; i < count; i++) out += `${i === 0 ? '' : ' '}${coordinate(x(i))},${coordinate(y(i))}`
  return out
}

/**
 * Lines of y against x. The <svg> carries its mapping (data-scale, data-y-min/max, data-top/bottom) so a reader
 * (a test) can turn a point's coordinates back into the value it plots.
 */
export function lineChart(series: readonly Series[], options: {xLabel: string; yLabel: string}): SafeHtml {
  const {log, x0, x1, y0, y1} = seriesExtent(series)
  const ty = (v: number) => (log ? Math.log10(v) : v)
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right)
  const sy = (y: number) => H - PAD.bottom - ((ty(y) - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom)
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = y0 + f * (y1 - y0)
    const y = r2(H - PAD.bottom - f * (H - PAD.top - PAD.bottom))
    return html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/><text x="${PAD.left - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatNumber(log ? 10 ** t : t)}</text>`
  })
  const lines = series.map((s, i) => {
    const points = s.points.length <= MAX_POINTS ? s.points : thin(s.points)
    const pts = polylinePoints(
      points.length,
      (j) => sx(points[j][0]),
      (j) => sy(points[j][1]),
    )
    return html`<polyline class="curve" data-series="${s.label}" data-count="${s.points.length}" stroke="${PALETTE[i % PALETTE.length]}" points="${pts}"><title>${s.label}</title></polyline>`
  })
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

/** A small curve for a table cell: the shape only, no axes. */
export function sparkline(values: readonly number[]): SafeHtml {
  if (values.length === 0) return html`<span class="muted">—</span>`
  const w = 100
  const h = 24
  const log = wantsLog(values)
  const ys = thin(values, 200).map((v) => (log ? Math.log10(v) : v))
  const [lo, hi] = extent(ys)
  const pts = polylinePoints(
    ys.length,
    (i) => (ys.length === 1 ? w / 2 : (i / (ys.length - 1)) * w),
    (i) => h - 2 - ((ys[i] - lo) / (hi - lo)) * (h - 4),
  )
  return html`<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="last training curve"><polyline stroke="${PALETTE[0]}" points="${pts}"/></svg>`
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

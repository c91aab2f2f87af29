/**
 * Where the training curves' points land in a page's chart and in the index's sparkline: the polylines' `points`
 * attributes, the costly part of drawing 1,000s of points (charts.ts draws the rest). Curves are flat (x, y, x, y,
 * ...: as lossPoints gives them, no array per point) and each is walked without building another array of it.
 */

/** The line chart's frame: its size and the padding around the plot (charts.ts draws the rest of it). */
export const CHART = {bottom: 28, height: 260, left: 56, right: 12, top: 10, width: 640}

/** A chart's scale (y on log10 when `log`) and one `points` attribute per series, in the order given. */
export interface CurveGeometry {
  log: boolean
  x0: number
  x1: number
  y0: number
  y1: number
  points: string[]
}

/**
 * `${Math.round(n * 100) / 100}` without a float-to-string conversion each: n rounded to hundredths is k / 100, and
 * for |k| < 1e15 JavaScript prints that double as the decimal k / 100 (no shorter decimal maps to it), so the digits
 * come from integers. Anything else is printed as before.
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
 * The line chart of charts.ts in its frame (CHART): log scale when every y is positive and they span more than two
 * decades; a range of one value gets a unit either side; a series of more than 2,000 points is thinned to 2,000
 * evenly spaced ones (first and last kept). The extents come from every point.
 */
export function curveGeometry(series: ReadonlyArray<ArrayLike<number>>): CurveGeometry {
  const {bottom: BOTTOM, height: H, left: LEFT, right: RIGHT, top: TOP, width: W} = CHART
  const MAX = 2000
  let count = 0
  let positive = true
  let [xLo, xHi, yLo, yHi] = [Infinity, -Infinity, Infinity, -Infinity]
  for (const s of series)
    for (let i = 0; i < s.length; i += 2) {
      const x = s[i]
      const y = s[i + 1]
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
      for (let i = 1; i < s.length; i += 2) {
        const y = Math.log10(s[i])
        if (y < yLo) yLo = y
        if (y > yHi) yHi = y
      }
  }
  const [x0, x1] = xLo === xHi ? [xLo - 1, xHi + 1] : [xLo, xHi]
  const [y0, y1] = yLo === yHi ? [yLo - 1, yHi + 1] : [yLo, yHi]
  const points = series.map((s) => {
    const n = s.length / 2
    const step = n <= MAX ? 1 : (n - 1) / (MAX - 1)
    let out = ''
    for (let i = 0; i < Math.min(n, MAX); i++) {
      const j = n <= MAX ? i : Math.round(i * step)
      const x = LEFT + ((s[2 * j] - x0) / (x1 - x0)) * (W - LEFT - RIGHT)
      const y = H - BOTTOM - (((log ? Math.log10(s[2 * j + 1]) : s[2 * j + 1]) - y0) / (y1 - y0)) * (H - TOP - BOTTOM)
      out += `${i === 0 ? '' : ' '}${coordinate(x)},${coordinate(y)}`
    }
    return out
  })
  return {log, points, x0, x1, y0, y1}
}

/**
 * The sparkline of charts.ts (100 × 24, 2 px margins) of a curve's y values: log10 when they are all positive and
 * span more than two decades, thinned to 200 evenly spaced ones, scaled to their range (a unit either side of one
 * value). '' when the curve is empty.
 */
export function sparkPoints(curve: ArrayLike<number>): string {
  const [w, h, MAX] = [100, 24, 200]
  const n = curve.length / 2
  let [lo, hi, positive] = [Infinity, -Infinity, true]
  for (let i = 1; i < curve.length; i += 2) {
    if (curve[i] <= 0) positive = false
    if (curve[i] < lo) lo = curve[i]
    if (curve[i] > hi) hi = curve[i]
  }
  const log = n > 0 && positive && hi / lo > 100
  const count = Math.min(n, MAX)
  const step = n <= MAX ? 1 : (n - 1) / (MAX - 1)
  const ys = new Float64Array(count)
  ;[lo, hi] = [Infinity, -Infinity]
  for (let i = 0; i < count; i++) {
    const v = curve[2 * (n <= MAX ? i : Math.round(i * step)) + 1]
    ys[i] = log ? Math.log10(v) : v
    if (ys[i] < lo) lo = ys[i]
    if (ys[i] > hi) hi = ys[i]
  }
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1]
  let out = ''
  for (let i = 0; i < count; i++) {
    const x = count === 1 ? w / 2 : (i / (count - 1)) * w
    out += `${i === 0 ? '' : ' '}${coordinate(x)},${coordinate(h - 2 - ((ys[i] - lo) / (hi - lo)) * (h - 4))}`
  }
  return out
}

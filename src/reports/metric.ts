/** Which way a metric is better: `min` (an error such as NRMSE) or `max` (an accuracy). */
export type Direction = 'min' | 'max'

/** Best first: ascending for min, descending for max; values that are not finite go last. */
export function compareMetric(direction: Direction, a: number | undefined, b: number | undefined): number {
  const fa = a !== undefined && Number.isFinite(a)
  const fb = b !== undefined && Number.isFinite(b)
  if (!fa || !fb) return fa === fb ? 0 : fa ? -1 : 1
  return direction === 'min' ? a! - b! : b! - a!
}

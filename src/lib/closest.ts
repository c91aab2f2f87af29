/** Did-you-mean: the candidate closest to what a person typed, by edit distance (Levenshtein). */

/**
 * The number of single-character insertions, deletions, substitutions and swaps of neighbours (`lsit` → `list` is
 * one) that turn `a` into `b` (the optimal string alignment distance).
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = []
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        current[j] = Math.min(current[j], before[j - 2] + 1)
    }
    before = previous
    previous = current
  }
  return previous[b.length]
}

/**
 * The candidate closest to `typed`, or undefined when none is close enough to be a plausible typo (more than a third
 * of the longer string differs). Ties go to the first candidate.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  let best: {distance: number; value: string} | undefined
  for (const value of candidates) {
    const distance = editDistance(typed.toLowerCase(), value.toLowerCase())
    if (!best || distance < best.distance) best = {distance, value}
  }
  if (!best) return undefined
  return best.distance <= Math.max(2, Math.ceil(Math.max(typed.length, best.value.length) / 3)) ? best.value : undefined
}

/**
 * A metrics.jsonl's loss curve as flat numbers (step, loss, step, loss, ...): the rows that are JSON objects, in file
 * order, with a finite numeric `loss`; the step is the row's finite numeric `step`, else the row's index among the
 * objects: the same points as parseMetrics's rows (runs/metrics.ts) give, which test/unit/loss-points.test.ts checks.
 *
 * When every line is one JSON object (what engines write), the lines joined by commas are one JSON array, parsed in
 * one JSON.parse; anything else (a blank or half-written line, a stray print) is parsed line by line, skipping what is
 * not an object. Self-contained on purpose (no import, no helper, no inner named function): the page writer thread
 * runs this very function from its source text (page-thread.ts) while the main thread scans, so both agree.
 */
export function lossPoints(text: string): number[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  let rows: unknown[] | undefined
  if (body.trim() !== '' && !body.includes('\n\n')) {
    let lines = 1
    for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) lines++
    try {
      const all = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as unknown[]
      if (all.length === lines && all.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) rows = all
    } catch {
      // some line is not JSON: line by line below
    }
  }
  if (!rows) {
    rows = []
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      try {
        const row = JSON.parse(line) as unknown
        if (row && typeof row === 'object' && !Array.isArray(row)) rows.push(row)
      } catch {
        // not (yet) a whole JSON line: skipped
      }
    }
  }
  const out: number[] = []
  for (let i = 0; i < rows.length; i++) {
    const {loss, step} = rows[i] as {loss?: unknown; step?: unknown}
    if (typeof loss !== 'number' || !Number.isFinite(loss)) continue
    out.push(typeof step === 'number' && Number.isFinite(step) ? step : i, loss)
  }
  return out
}

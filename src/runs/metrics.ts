import {readFileSync} from 'node:fs'
import path from 'node:path'

/**
 * Training curves: engines append one JSON object per line to `{metrics}` = `runs/<run-id>/metrics.jsonl`
 * (`{"step": 100, "loss": 0.12, ...}`). A line that is not a JSON object (a half-written last line while the
 * engine runs, a stray print) is skipped, never an error: curves are for looking at, not verdicts.
 */
export const METRICS_FILE = 'metrics.jsonl'

export type MetricsRow = Record<string, unknown>

export function metricsFile(runDirectory: string): string {
  return path.join(runDirectory, METRICS_FILE)
}

export function parseMetrics(text: string): MetricsRow[] {
  const rows: MetricsRow[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const value = JSON.parse(line) as unknown
      if (value && typeof value === 'object' && !Array.isArray(value)) rows.push(value as MetricsRow)
    } catch {
      // not (yet) a whole JSON line: skipped
    }
  }
  return rows
}

/** A run's metrics rows; none when it wrote no metrics.jsonl. */
export function readMetrics(runDirectory: string): MetricsRow[] {
  let text: string
  try {
    text = readFileSync(metricsFile(runDirectory), 'utf8')
  } catch {
    return []
  }
  return parseMetrics(text)
}

/** The last finite value of every numeric key, and the step it was logged at. */
export function lastValues(rows: MetricsRow[]): {values: Record<string, number>; step: number | null; lines: number} {
  const values: Record<string, number> = {}
  let step: number | null = null
  for (const row of rows) {
    for (const [k, v] of Object.entries(row))
      if (k !== 'step' && typeof v === 'number' && Number.isFinite(v)) values[k] = v
    if (typeof row.step === 'number' && Number.isFinite(row.step)) step = row.step
  }
  return {lines: rows.length, step, values}
}

export interface LatestMetrics {
  run_id: string
  /** relative to the experiment directory */
  file: string
  lines: number
  step: number | null
  values: Record<string, number>
}

/** The last values of the newest run (runs newest first) that wrote metrics.jsonl; null when none did. */
export function latestMetrics(
  experimentDir: string,
  runs: ReadonlyArray<{run_id: string}>,
  read: (runDirectory: string) => MetricsRow[] = readMetrics,
): LatestMetrics | null {
  for (const run of runs) {
    const rows = read(path.join(experimentDir, 'runs', run.run_id))
    if (rows.length === 0) continue
    return {file: `runs/${run.run_id}/${METRICS_FILE}`, run_id: run.run_id, ...lastValues(rows)}
  }
  return null
}

import {parseJsonBounded} from '../lib/bounded-json.js'
import {parseTimestamp} from '../lib/time.js'

/** A report file as read once by the scan: its verdict fields and numeric metrics. */
export interface Report {
  path: string
  /** where it was found: the experiment's own reports/ (or a run's report), or the workspace's reports/ */
  scope: 'experiment' | 'workspace'
  /** the report's own created_at/timestamp if it has one, else the file's mtime (ms); never far in the future */
  time: number
  /** the file's mtime (ms) */
  mtime?: number
  data?: Record<string, unknown>
  /** set when the file is not valid JSON (or not an object): never a verdict, shown as a warning */
  error?: string
}

export type Verdict = 'success' | 'failed'

export function parseReport(path: string, text: string, mtimeMs: number, scope: Report['scope']): Report {
  let data: unknown
  try {
    data = parseJsonBounded(text)
  } catch (error) {
    return {error: `not valid JSON (${(error as Error).message.split('\n')[0]})`, path, scope, time: mtimeMs}
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return {error: 'not a JSON object', path, scope, time: mtimeMs}
  }
  const record = data as Record<string, unknown>
  const time = parseTimestamp(record.created_at) ?? parseTimestamp(record.timestamp) ?? mtimeMs
  return {data: record, mtime: mtimeMs, path, scope, time}
}

/** How far ahead of now a time may be before it is taken for a wrong clock. */
export const FUTURE_SLACK_MS = 5 * 60_000

/**
 * A report dated later than now + 5 minutes would win over every new run for ever: its time becomes its file's
 * mtime (itself at most now), with a warning.
 */
export function clampFutureTime(report: Report, nowMs: number): string | undefined {
  if (report.time <= nowMs + FUTURE_SLACK_MS) return undefined
  const claimed = new Date(report.time).toISOString()
  report.time = Math.min(report.mtime ?? nowMs, nowMs)
  return `${report.path}: its time ${claimed} is in the future; the file's time is used instead`
}

/** Newest first; equal times by file name, the later name first (stable and documented: run ids sort by time). */
export function newestFirst(a: Report, b: Report): number {
  return b.time - a.time || compareText(baseName(b.path), baseName(a.path)) || compareText(b.path, a.path)
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** What a report says: success, failed, or nothing (no gates_passed and no errors). */
export function reportVerdict(report: Report): {verdict: Verdict; field: string} | undefined {
  const data = report.data
  if (!data) return undefined
  const errors = data.errors ?? data.error
  const hasErrors = Array.isArray(errors) ? errors.length > 0 : typeof errors === 'string' ? errors.trim() !== '' : errors !== undefined && errors !== null && errors !== false
  if (hasErrors) return {field: data.errors === undefined ? 'error' : 'errors', verdict: 'failed'}
  if (data.gates_passed === true) return {field: 'gates_passed', verdict: 'success'}
  if (data.gates_passed === false) return {field: 'gates_passed', verdict: 'failed'}
  return undefined
}

/** The numeric metrics of a report, top level and one level down under `metrics`. */
export function numericMetrics(report: Report | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  const data = report?.data
  if (!data) return out
  const take = (obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v
  }
  if (data.metrics && typeof data.metrics === 'object' && !Array.isArray(data.metrics)) take(data.metrics as Record<string, unknown>)
  take(data)
  return out
}

/** The raw value of a metric (top level first, then under `metrics`), whatever its type. */
export function metricValue(report: Report | undefined, metric: string): unknown {
  const data = report?.data
  if (!data) return undefined
  if (metric in data) return data[metric]
  const metrics = data.metrics
  if (metrics && typeof metrics === 'object' && !Array.isArray(metrics)) return (metrics as Record<string, unknown>)[metric]
  return undefined
}

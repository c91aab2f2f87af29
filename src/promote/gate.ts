import {formatMeasured} from '../lib/format.js'
import {metricValue, type Report} from '../reports/report.js'

import type {Direction} from '../reports/metric.js'

/** Metric comparison lives with the reports (leaderboard, compare and promote share it). */
export type {Direction} from '../reports/metric.js'

export interface GateSpec {
  metric: string
  direction: Direction
  /** the bound the metric must meet (≤ for min, ≥ for max); none: any finite number passes */
  threshold?: number
}

export interface GateResult {
  pass: boolean
  /** the metric, when it is a finite number */
  value?: number
  /** one line: what passed or failed, with the value and the threshold */
  reason: string
}

/**
 * The promotion gate, a pure function of one report: the report exists, carries `gates_passed: true` and no
 * errors, and its metric is a finite number that meets the threshold. A NaN, a string, null or a missing metric
 * fails. `label` names the report in the reason (its path as a person sees it).
 */
export function checkGate(report: Report | undefined, spec: GateSpec, label = report?.path ?? 'report'): GateResult {
  if (!report) return {pass: false, reason: 'no report with a verdict (gates_passed) was found'}
  if (report.error || !report.data) return {pass: false, reason: `${label}: ${report.error ?? 'not a JSON object'}`}
  const data = report.data
  if (!('gates_passed' in data)) return {pass: false, reason: `${label} has no gates_passed`}
  if (data.gates_passed !== true)
    return {pass: false, reason: `${label}: gates_passed is ${describe(data.gates_passed)}, not true`}
  const errors = data.errors ?? data.error
  if (hasErrors(errors)) return {pass: false, reason: `${label} lists errors: ${short(errors)}`}

  const raw = metricValue(report, spec.metric)
  const bound = spec.threshold === undefined ? '' : ` (threshold ${symbol(spec.direction)} ${spec.threshold})`
  if (raw === undefined) return {pass: false, reason: `${label} has no ${spec.metric}${bound}`}
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    return {pass: false, reason: `${label}: ${spec.metric} is ${describe(raw)}, not a finite number${bound}`}
  }
  if (spec.threshold === undefined)
    return {pass: true, reason: `${spec.metric} ${formatMeasured(raw)} (no threshold)`, value: raw}
  const meets = spec.direction === 'min' ? raw <= spec.threshold : raw >= spec.threshold
  const op = meets ? symbol(spec.direction) : spec.direction === 'min' ? '>' : '<'
  return {pass: meets, reason: `${spec.metric} ${formatMeasured(raw)} ${op} threshold ${spec.threshold}`, value: raw}
}

function symbol(direction: Direction): string {
  return direction === 'min' ? '≤' : '≥'
}

function hasErrors(errors: unknown): boolean {
  if (Array.isArray(errors)) return errors.length > 0
  if (typeof errors === 'string') return errors.trim() !== ''
  return errors !== undefined && errors !== null && errors !== false
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `${short(value)} (a string)`
  if (typeof value === 'number') return String(value)
  if (value === null) return 'null'
  return short(value)
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value))
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

import {promises as fs} from 'node:fs'

import {messageOf} from '../errors.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {formatMeasured} from '../lib/format.js'
import {formatNumber} from '../lib/table.js'
import {reportProblem, writeReport} from '../records/report.js'
import type {Settings} from '../workspace/settings.js'
import {metricValue} from './report.js'

/**
 * exp's gates (exp.yaml `gates:`, e.g. `final_nrmse: {max: 0.15}`), applied to a report the evaluation engine
 * wrote without a verdict of its own. The engine's `gates_passed` always wins; exp decides only when it is absent,
 * and then records how it decided inside the report, so the verdict carries its reasons wherever the file goes.
 */
export type Gates = NonNullable<Settings['gates']>

export interface GateCheck {
  metric: string
  value: number | null
  limit: {max?: number; min?: number}
  passed: boolean
  /** why the value could not be compared (missing, not a number) */
  problem?: string
}

export type GateOutcome =
  | {decided_by: 'engine'; passed: unknown}
  | {decided_by: 'exp'; passed: boolean; checks: GateCheck[]; field: string}
  /** report: whether the file itself is usable (`missing`/`invalid` mean the evaluate engine did not do its job) */
  | {decided_by: 'none'; reason: string; report: 'ok' | 'missing' | 'invalid'}

export function checkGates(data: Record<string, unknown>, gates: Gates): GateCheck[] {
  return Object.entries(gates).map(([metric, limit]) => {
    const raw = metricValue({data, path: '', scope: 'experiment', time: 0}, metric)
    const clean: GateCheck['limit'] = {}
    if (limit.max !== undefined) clean.max = limit.max
    if (limit.min !== undefined) clean.min = limit.min
    if (raw === undefined || raw === null) return {limit: clean, metric, passed: false, problem: 'missing from the report', value: null}
    if (typeof raw !== 'number' || !Number.isFinite(raw)) return {limit: clean, metric, passed: false, problem: `not a finite number (${JSON.stringify(raw)})`, value: null}
    const passed = (clean.max === undefined || raw <= clean.max) && (clean.min === undefined || raw >= clean.min)
    return {limit: clean, metric, passed, value: raw}
  })
}

/** `final_nrmse 0.0392 <= 0.15: pass` */
export function describeCheck(check: GateCheck): string {
  const bounds = [check.limit.min === undefined ? undefined : `>= ${formatNumber(check.limit.min)}`, check.limit.max === undefined ? undefined : `<= ${formatNumber(check.limit.max)}`]
    .filter(Boolean)
    .join(' and ')
  if (check.problem) return `${check.metric} ${check.problem} (gate ${bounds || 'none'}): fail`
  return `${check.metric} ${formatMeasured(check.value!)} ${bounds || '(no bound)'}: ${check.passed ? 'pass' : 'fail'}`
}

/**
 * Decide the gates of `reportFile` when it has no `gates_passed` and exp.yaml has gates: write `gates_passed` and
 * a `gates` record (`decided_by: "exp"`, each gate with value, limit and result) into the report atomically.
 */
export async function applyGates(reportFile: string, gates: Settings['gates'], now = new Date()): Promise<GateOutcome> {
  let data: Record<string, unknown>
  try {
    const value = parseJsonBounded(await fs.readFile(reportFile, 'utf8'))
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {decided_by: 'none', reason: 'the report is not a JSON object', report: 'invalid'}
    data = value as Record<string, unknown>
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {decided_by: 'none', reason: 'no report was written', report: 'missing'}
    return {decided_by: 'none', reason: `the report cannot be read (${messageOf(error)})`, report: 'invalid'}
  }
  if (data.gates_passed !== undefined) return {decided_by: 'engine', passed: data.gates_passed}
  if (!gates || Object.keys(gates).length === 0) return {decided_by: 'none', reason: 'the report has no gates_passed and exp.yaml has no gates', report: 'ok'}

  // exp writes into the engine's file: only a report whose known fields are sound (one line naming the field otherwise)
  const problem = await reportProblem(data)
  if (problem) return {decided_by: 'none', reason: `the report cannot be judged (${problem})`, report: 'invalid'}
  const checks = checkGates(data, gates)
  const passed = checks.every((c) => c.passed)
  // never overwrite a `gates` field the engine wrote itself
  const field = data.gates === undefined ? 'gates' : 'exp_gates'
  await writeReport(reportFile, {...data, gates_passed: passed, [field]: {checks, decided_at: now.toISOString(), decided_by: 'exp'}})
  return {checks, decided_by: 'exp', field, passed}
}

import path from 'node:path'

import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {numericMetrics, type Report, reportVerdict, type Verdict} from '../reports/report.js'

/**
 * Evaluation suites: a run's evaluations each write reports/<run-id>/<name>.json, and `exp launch --stage evaluate
 * --eval NAME` re-runs one of them on the same checkpoint in a later run. The suite's verdict for a checkpoint is
 * that of the latest report of each evaluation: every one with a verdict must pass; the first that fails decides
 * (so the reason names it). Pure: from the snapshot's run records and reports.
 */
interface SuiteEntry {
  checkpoint: string
  evaluation: string
}

function suiteIndex(snap: ExperimentSnapshot): Map<string, SuiteEntry> {
  const index = new Map<string, SuiteEntry>()
  for (const run of snap.runs) {
    if (!run.reports || typeof run.reports !== 'object') continue
    const checkpoint = run.checkpoint ?? `checkpoints/${run.run_id}`
    for (const [evaluation, rel] of Object.entries(run.reports))
      index.set(path.resolve(snap.dir, rel), {checkpoint, evaluation})
  }
  return index
}

export interface SuiteView {
  /** the latest report of each evaluation of the checkpoint, by evaluation name */
  latest: Map<string, Report>
  /** the report that decides: the first failing evaluation, else the newest passing one */
  deciding: {report: Report; verdict: {verdict: Verdict; field: string}}
  /** one report for metrics: `<evaluation>.<metric>` for every numeric metric, gates_passed of the whole suite */
  merged: Report
}

/** When the newest verdict report belongs to an evaluation suite: the suite's view of its checkpoint; else undefined. */
export function suiteView(snap: ExperimentSnapshot, newest: Report | undefined): SuiteView | undefined {
  if (!newest || newest.scope !== 'experiment') return undefined
  const index = suiteIndex(snap)
  const entry = index.get(path.resolve(newest.path))
  if (!entry) return undefined
  const latest = new Map<string, Report>()
  // reports are newest first: the first seen of each evaluation is its latest
  for (const report of snap.reports) {
    const e = index.get(path.resolve(report.path))
    if (e && e.checkpoint === entry.checkpoint && !latest.has(e.evaluation)) latest.set(e.evaluation, report)
  }
  let deciding: SuiteView['deciding'] | undefined
  const data: Record<string, unknown> = {evaluations: {}}
  for (const [evaluation, report] of latest) {
    const verdict = reportVerdict(report)
    if (verdict?.verdict === 'failed' && deciding?.verdict.verdict !== 'failed') deciding = {report, verdict}
    if (verdict && !deciding) deciding = {report, verdict}
    ;(data.evaluations as Record<string, unknown>)[evaluation] = verdict?.verdict ?? null
    for (const [k, v] of Object.entries(numericMetrics(report))) data[`${evaluation}.${k}`] = v
  }
  if (!deciding) return undefined
  data.gates_passed = deciding.verdict.verdict === 'success'
  return {deciding, latest, merged: {data, path: deciding.report.path, scope: 'experiment', time: newest.time}}
}

import {formatNumber, renderTable} from '../lib/table.js'
import {formatDuration} from '../lib/time.js'
import type {SweepSummary} from './observe-summary.js'

const duration = (ms: number | null) => (ms === null ? undefined : formatDuration(ms))

/** The end-of-watch summary of a sweep, for a person: one row per variant, the counts, the best, where things are. */
export function renderSweepSummary(s: SweepSummary): string[] {
  const table = renderTable(
    ['variant', 'state', 'train', 'evaluation', s.metric_name, 'verdict'],
    s.variants.map((v) => [
      v.variant,
      v.state,
      duration(v.train_ms),
      duration(v.evaluation_ms),
      v.metric === null ? undefined : formatNumber(v.metric),
      `${v.verdict}: ${v.reason}`,
    ]),
  )
  const {evaluate: e, train: t} = s.phases
  const lines = [
    '',
    `Sweep ${s.experiment}: ${s.variants.length} variants`,
    table,
    '',
    `Training:   ${t.completed + t.failed + t.other} jobs - ${t.completed} COMPLETED, ${t.failed} FAILED${t.other > 0 ? `, ${t.other} other` : ''}`,
    `Evaluation: ${e.completed + e.failed + e.other} jobs - ${e.completed} COMPLETED, ${e.failed} FAILED${e.skipped > 0 ? `, ${e.skipped} SKIPPED (training did not complete)` : ''}${e.other > 0 ? `, ${e.other} other` : ''}`,
    `Total time: ${duration(s.total_ms) ?? 'n/a'}`,
    `Best: ${s.best ? `${s.best.variant} (${s.metric_name} ${formatNumber(s.best.metric)})` : `none (no variant has a numeric ${s.metric_name})`}`,
    `Logs: each variant's runs/<run-id>/ (e.g. ${s.variants.find((v) => v.logs)?.logs ?? 'none yet'})${s.launch_log ? `; orchestration log ${s.launch_log}` : ''}`,
  ]
  const reports = s.variants.filter((v) => v.report).length
  if (reports > 0) lines.push(`Reports: ${reports} (e.g. ${s.variants.find((v) => v.report)!.report})`)
  if (s.summary_file) lines.push(`Status table: ${s.summary_file}`)
  lines.push(`Next: ${s.next.join('   ')}`)
  return lines
}

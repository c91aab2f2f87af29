import {formatValue} from '../config/config-file.js'
import {formatNumber} from '../lib/table.js'
import {formatAge} from '../lib/time.js'
import {shownRunState} from '../runs/stage-view.js'
import type {ExperimentDetails} from './details.js'

/** `exp show` as text: one line per fact, details indented under their heading. */
export function renderDetails(d: ExperimentDetails): string[] {
  const out: string[] = [`${d.name}${d.location === 'archive' ? ' (archived)' : ''}`]
  const log = (line: string) => out.push(line)
  log(`  status:        ${d.status} — ${d.reason}`)
  if (d.state) log(`  state:         ${d.state} — ${d.state_detail}`)
  log(`  directory:     ${d.dir} (${d.files.count} files, ${d.files.bytes} bytes)`)
  log(`  last activity: ${formatAge(d.idle_ms)} ago (${d.last_activity})`)
  if (d.hypothesis) log(`  hypothesis:    ${d.hypothesis}`)
  log(`  config:        ${d.config.exists ? d.config.path : 'missing'}`)
  if (d.base.path) {
    const note = d.base.changed_since_creation ? ' (changed since this experiment was created)' : ''
    log(`  base:          ${d.base.path}${note}`)
    if (d.base.error) log(`    ${d.base.error}`)
    else if (d.base.changes.length === 0) log('    no changes against the base')
    for (const c of d.base.changes) log(`    ${c.key}: ${formatValue(c.from)} → ${formatValue(c.to)}`)
  }
  log(`  reports:       ${d.reports_detail.length}`)
  for (const r of d.reports_detail) {
    const metrics = Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')
    log(`    ${r.path}  ${r.error ? `INVALID: ${r.error}` : `gates_passed=${formatValue(r.gates_passed)} ${metrics}`}`)
  }
  log(`  runs:          ${d.runs_detail.length}`)
  for (const run of d.runs_detail) log(`    ${run.run_id}  ${run.backend}  ${shownRunState(run)}${run.reason ? ` (${run.reason})` : ''}`)
  if (d.params) log(`  parameters:    ${Object.entries(d.params).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ')}`)
  if (d.variants_detail) log(`  variants:      ${d.variants_detail.length}`)
  for (const v of d.variants_detail ?? []) log(`    ${v.variant}  ${v.status}${v.metric ? `  ${v.metric.name}=${formatNumber(v.metric.value)}` : ''}  ${v.reason}`)
  if (d.checkpoints.length > 0) log(`  checkpoints:   ${d.checkpoints.length}`)
  for (const c of d.checkpoints) log(`    ${c.path}  ${c.state}${c.problems.length > 0 ? ` (${c.problems[0]}${c.problems.length > 1 ? `, +${c.problems.length - 1}` : ''})` : ''}`)
  if (d.metrics) {
    const values = Object.entries(d.metrics.values).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')
    log(`  metrics:       ${d.metrics.file} (${d.metrics.lines} lines${d.metrics.step === null ? '' : `, step ${d.metrics.step}`}): ${values}`)
  }
  if (d.promotions.length > 0) log(`  promotions:    ${d.promotions.length}`)
  for (const p of d.promotions) log(`    ${promotionLine(p)}`)
  return out
}

/** One promotion: target, when, the metric, and whether it was rolled back. */
export function promotionLine(entry: unknown): string {
  if (!entry || typeof entry !== 'object') return `(unreadable entry: ${JSON.stringify(entry)})`
  const p = entry as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' && v ? v : '?')
  const value = typeof p.value === 'number' ? ` ${text(p.metric)} ${formatNumber(p.value)}` : ''
  const rolled = typeof p.rolled_back_at === 'string' ? `; rolled back ${p.rolled_back_at}` : '; in force'
  return `${text(p.target)}  promoted ${text(p.promoted_at)}${value}${rolled}`
}

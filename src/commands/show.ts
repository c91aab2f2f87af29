import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {formatValue} from '../config/config-file.js'
import {type ExperimentDetails, showExperiment} from '../experiments/details.js'
import {formatNumber} from '../lib/table.js'
import {formatAge} from '../lib/time.js'

export default class Show extends BaseCommand<typeof Show> {
  static args = {
    name: Args.string({description: 'Experiment: full directory name, or the name without its date when unique; EXPERIMENT/VARIANT for one variant.', required: true}),
  }

  static examples = ['<%= config.bin %> show test-64dim', '<%= config.bin %> show test-64dim --json', '<%= config.bin %> show cap-lora-sweep/rank8_lr1e-5']

  static summary = 'Everything known of one experiment: status and reason, config changes, reports, runs, promotions.'

  async run(): Promise<ExperimentDetails> {
    const ws = await this.workspace()
    const d = await showExperiment(ws, this.args.name, {now: this.clock})
    this.log(`${d.name}${d.location === 'archive' ? ' (archived)' : ''}`)
    this.log(`  status:        ${d.status} — ${d.reason}`)
    this.log(`  directory:     ${d.dir} (${d.files.count} files, ${d.files.bytes} bytes)`)
    this.log(`  last activity: ${formatAge(d.idle_ms)} ago (${d.last_activity})`)
    if (d.hypothesis) this.log(`  hypothesis:    ${d.hypothesis}`)
    this.log(`  config:        ${d.config.exists ? d.config.path : 'missing'}`)
    if (d.base.path) {
      const note = d.base.changed_since_creation ? ' (changed since this experiment was created)' : ''
      this.log(`  base:          ${d.base.path}${note}`)
      if (d.base.error) this.log(`    ${d.base.error}`)
      else if (d.base.changes.length === 0) this.log('    no changes against the base')
      for (const c of d.base.changes) this.log(`    ${c.key}: ${formatValue(c.from)} → ${formatValue(c.to)}`)
    }
    this.log(`  reports:       ${d.reports_detail.length}`)
    for (const r of d.reports_detail) {
      const metrics = Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')
      this.log(`    ${r.path}  ${r.error ? `INVALID: ${r.error}` : `gates_passed=${formatValue(r.gates_passed)} ${metrics}`}`)
    }
    this.log(`  runs:          ${d.runs_detail.length}`)
    for (const run of d.runs_detail) this.log(`    ${run.run_id}  ${run.backend}  ${run.state}${run.reason ? ` (${run.reason})` : ''}`)
    if (d.params) this.log(`  parameters:    ${Object.entries(d.params).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ')}`)
    if (d.variants_detail) this.log(`  variants:      ${d.variants_detail.length}`)
    for (const v of d.variants_detail ?? []) this.log(`    ${v.variant}  ${v.status}${v.metric ? `  ${v.metric.name}=${formatNumber(v.metric.value)}` : ''}  ${v.reason}`)
    if (d.checkpoints.length > 0) this.log(`  checkpoints:   ${d.checkpoints.length}`)
    for (const c of d.checkpoints) this.log(`    ${c.path}  ${c.state}${c.problems.length > 0 ? ` (${c.problems[0]}${c.problems.length > 1 ? `, +${c.problems.length - 1}` : ''})` : ''}`)
    if (d.metrics) {
      const values = Object.entries(d.metrics.values).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')
      this.log(`  metrics:       ${d.metrics.file} (${d.metrics.lines} lines${d.metrics.step === null ? '' : `, step ${d.metrics.step}`}): ${values}`)
    }
    if (d.promotions.length > 0) this.log(`  promotions:    ${d.promotions.length}`)
    for (const w of d.warnings) this.note(`Warning: ${w}`)
    return d
  }
}

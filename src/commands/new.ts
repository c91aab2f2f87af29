import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {formatValue} from '../config/config-file.js'
import {createExperiment, type NewExperimentResult} from '../experiments/create.js'
import {isInteractive} from '../lib/terminal.js'
import {renderVariants} from '../sweeps/render.js'
import type {SweepResult} from '../sweeps/scaffold.js'
import {setupFailed} from '../sweeps/setup.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

export default class New extends BaseCommand<typeof New> {
  static args = {
    name: Args.string({description: 'Experiment name: letters, digits, ".", "_" and "-" (the date is prefixed).'}),
  }

  static examples = [
    '<%= config.bin %> new test-64dim --set model.latent_dim=64 --hypothesis "A wider latent space lowers the NRMSE"',
    '<%= config.bin %> new lr-sweep-a --from configs/train_burgers_golden.yaml --set training.learning_rate=0.02',
    '<%= config.bin %> new',
    '<%= config.bin %> new latent-sweep --grid model.latent_dim=8,16 --grid training.epochs=2,4',
    '<%= config.bin %> new --from-summary experiment_summary.md',
  ]

  static flags = {
    date: Flags.string({description: 'Date prefix YYYY-MM-DD (default: today).'}),
    'from-summary': Flags.string({description: 'Scaffold a sweep from an experiment_summary.md "All Runs" table (one variant per Fine-tuned row).', exclusive: ['grid']}),
    grid: Flags.string({description: 'A sweep axis, key.path=v1,v2,... (repeatable): one variant per combination.', multiple: true}),
    from: Flags.string({description: 'Base config: a path or a file name in configs/ (default: base_config in exp.yaml).'}),
    hypothesis: Flags.string({description: 'What you expect and why; goes into notes.md and metadata.json.'}),
    set: Flags.string({description: 'Override a config value, key.path=value (repeatable).', multiple: true}),
  }

  static summary = 'Create a dated experiment: config.yaml, notes.md, metadata.json.'

  async run(): Promise<NewExperimentResult | SweepResult> {
    const ws = await this.workspace()
    let {name} = this.args
    let {from, hypothesis} = this.flags
    if (this.flags.grid || this.flags['from-summary']) return this.sweep(ws, name)
    if (!name) {
      if (!isInteractive()) {
        throw new ExpError('missing argument NAME (no terminal to ask on).', {code: 'MISSING_ARG', exit: EXIT.usage, suggestion: 'exp new NAME'})
      }
      const {askNewExperiment} = await import('../experiments/prompts.js')
      ;({from, hypothesis, name} = await askNewExperiment(ws, {from, hypothesis}))
    }
    const result = await createExperiment(ws, {date: this.flags.date, from, hypothesis, name, now: this.clock, sets: this.flags.set})
    for (const key of result.newKeys) this.note(`Warning: ${key} was not in the base config; it was added (check the spelling).`)
    this.log(`Created ${relativeToRoot(ws, result.dir)}/ from ${relativeToRoot(ws, result.base)}`)
    for (const c of result.changes) this.log(`  ${c.key}: ${formatValue(c.from)} → ${formatValue(c.to)}`)
    return result
  }

  private async sweep(ws: Workspace, name: string | undefined): Promise<SweepResult> {
    const {scaffoldSweep} = await import('../sweeps/scaffold.js')
    const f = this.flags
    const result = await scaffoldSweep(ws, {date: f.date, from: f.from, fromSummary: f['from-summary'], grid: f.grid, hypothesis: f.hypothesis, name, now: this.clock, sets: f.set})
    for (const w of result.warnings) this.note(`Warning: ${w}`)
    this.log(`Created ${relativeToRoot(ws, result.dir)}/ with ${result.variants.length} variants (varying ${result.varying.join(', ')})${result.controls ? `; ${result.controls} control rows recorded` : ''}`)
    for (const line of renderVariants(result.name, result.variants)) this.log(line)
    if (result.failures.length > 0) throw setupFailed(result.failures, result.variants.length)
    return result
  }
}

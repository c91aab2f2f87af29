import {newFlags} from '../command-flags/new.js'
import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {newExperiment, type NewResult, newSweep} from '../experiments/new-request.js'
import {experimentCreatedLines, sweepCreatedLines} from '../experiments/new-render.js'
import {experimentArg} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'
import type {SweepResult} from '../sweeps/scaffold.js'
import {setupFailed} from '../sweeps/setup.js'

export default class New extends BaseCommand<typeof New> {
  static args = {
    name: experimentArg({description: 'Experiment name: letters, digits, ".", "_" and "-" (the date is prefixed).'}),
  }

  static examples = [
    '<%= config.bin %> new test-96dim --set model.latent_dim=96 --hypothesis "A wider latent space lowers the NRMSE"',
    '<%= config.bin %> new lr-sweep-a --from configs/train_burgers_golden.yaml --set training.learning_rate=0.02 --dry-run',
    '<%= config.bin %> new extra-key --add model.dropout=0.1',
    '<%= config.bin %> new latent-sweep --grid model.latent_dim=8,16 --grid training.epochs=2,4',
  ]

  static flags = newFlags

  static summary = 'Create a dated experiment: config.yaml, notes.md, metadata.json.'

  async run(): Promise<NewResult | SweepResult> {
    const ws = await this.workspace()
    const f = this.flags
    let {from, hypothesis} = f
    let {name} = this.args
    const common = {adds: f.add, date: f.date, from, hypothesis, now: this.clock, sets: f.set}
    if (f.grid || f['from-summary']) {
      if (f['dry-run'])
        throw new ExpError('--dry-run is not available for sweeps (--grid, --from-summary) yet.', {
          code: 'USAGE',
          exit: EXIT.usage,
        })
      const result = await newSweep(ws, {...common, fromSummary: f['from-summary'], grid: f.grid, name})
      for (const w of result.warnings) this.note(`Warning: ${w}`)
      for (const line of sweepCreatedLines(ws, result)) this.log(line)
      if (result.failures.length > 0) throw setupFailed(result.failures, result.variants.length)
      return result
    }
    if (!name) {
      if (!isInteractive())
        throw new ExpError('missing argument NAME (no terminal to ask on).', {
          code: 'MISSING_ARG',
          exit: EXIT.usage,
          suggestion: 'exp new NAME',
        })
      ;({from, hypothesis, name} = await (
        await import('../experiments/prompts.js')
      ).askNewExperiment(ws, {from, hypothesis}))
    }
    const result = await newExperiment(ws, {...common, dryRun: f['dry-run'], from, hypothesis, name})
    for (const line of experimentCreatedLines(ws, result)) this.log(line)
    return result
  }
}

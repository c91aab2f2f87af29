import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {formatValue} from '../config/config-file.js'
import {createExperiment, type NewExperimentResult} from '../experiments/create.js'
import {isInteractive} from '../lib/terminal.js'
import {relativeToRoot} from '../workspace/workspace.js'

export default class New extends BaseCommand<typeof New> {
  static args = {
    name: Args.string({description: 'Experiment name: letters, digits, ".", "_" and "-" (the date is prefixed).'}),
  }

  static examples = [
    '<%= config.bin %> new test-64dim --set model.latent_dim=64 --hypothesis "A wider latent space lowers the NRMSE"',
    '<%= config.bin %> new lr-sweep-a --from configs/train_burgers_golden.yaml --set training.learning_rate=0.02',
    '<%= config.bin %> new',
  ]

  static flags = {
    date: Flags.string({description: 'Date prefix YYYY-MM-DD (default: today).'}),
    from: Flags.string({description: 'Base config: a path or a file name in configs/ (default: base_config in exp.yaml).'}),
    hypothesis: Flags.string({description: 'What you expect and why; goes into notes.md and metadata.json.'}),
    set: Flags.string({description: 'Override a config value, key.path=value (repeatable).', multiple: true}),
  }

  static summary = 'Create a dated experiment: config.yaml, notes.md, metadata.json.'

  async run(): Promise<NewExperimentResult> {
    const ws = await this.workspace()
    let {name} = this.args
    let {from, hypothesis} = this.flags
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
}

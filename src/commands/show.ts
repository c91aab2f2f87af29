import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {type ExperimentDetails, showExperiment} from '../experiments/details.js'
import {renderDetails} from '../experiments/show-render.js'

export default class Show extends BaseCommand<typeof Show> {
  static args = {
    name: Args.string({
      description:
        'Experiment: full directory name, or the name without its date when unique; EXPERIMENT/VARIANT for one variant.',
      required: true,
    }),
  }

  static examples = [
    '<%= config.bin %> show test-64dim',
    '<%= config.bin %> show test-64dim --json',
    '<%= config.bin %> show cap-lora-sweep/rank8_lr1e-5',
  ]

  static summary = 'Everything known of one experiment: status and reason, config changes, reports, runs, promotions.'

  async run(): Promise<ExperimentDetails> {
    const ws = await this.workspace()
    const d = await showExperiment(ws, this.args.name, {now: this.clock})
    for (const line of renderDetails(d)) this.log(line)
    for (const w of d.warnings) this.note(`Warning: ${w}`)
    return d
  }
}

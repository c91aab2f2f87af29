import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRun} from '../../flags.js'
import {renderVariants} from '../../sweeps/render.js'
import {rerunSetup, type ResetupResult} from '../../sweeps/resetup.js'
import {setupFailed} from '../../sweeps/setup.js'

export default class SweepSetup extends BaseCommand<typeof SweepSetup> {
  static args = {
    name: Args.string({description: 'The sweep experiment.', required: true}),
  }

  static examples = [
    '<%= config.bin %> sweep setup cap-lora-sweep',
    '<%= config.bin %> sweep setup cap-lora-sweep --only rank16_lr5e-5',
    '<%= config.bin %> sweep setup cap-lora-sweep --dry-run',
  ]

  static flags = {
    'dry-run': dryRun,
    only: Flags.string({description: 'Only this variant (repeatable).', multiple: true}),
  }

  static summary = "Run exp.yaml's engines.setup hook again in a sweep's variants (all, or --only some)."

  async run(): Promise<ResetupResult> {
    const ws = await this.workspace()
    const result = await rerunSetup(ws, {
      dryRun: this.flags['dry-run'],
      name: this.args.name,
      now: this.clock,
      only: this.flags.only,
    })
    if (result.would_run) {
      for (const w of result.would_run) this.log(`Would run in ${w.variant}: ${w.command}`)
      return result
    }
    for (const line of renderVariants(result.name, result.variants)) this.log(line)
    if (result.failures.length > 0) throw setupFailed(result.failures, result.variants.length)
    return result
  }
}

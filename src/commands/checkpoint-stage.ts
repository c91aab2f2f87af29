import {Args} from '@oclif/core'
import path from 'node:path'

import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'

/**
 * Internal: exp's checkpoint step inside a SLURM batch job (the scripts exp writes call it with the node and exp of
 * the shared filesystem). `check`: the quick check before evaluate; `commit`: the manifest after train. A failure
 * prints its one-line reason on stdout (the script records it) and exits 1.
 */
export default class CheckpointStage extends BaseCommand<typeof CheckpointStage> {
  static args = {
    action: Args.string({
      description: 'check (before evaluate) or commit (after train).',
      options: ['check', 'commit'],
      required: true,
    }),
    dir: Args.string({description: 'Experiment directory.', required: true}),
    run: Args.string({description: 'Run id.', required: true}),
  }

  static examples = ['<%= config.bin %> checkpoint-stage check /path/to/experiments/2025-01-22-x 20250122-101500-3f2a']

  static hidden = true

  static summary = "Internal: check or commit a run's checkpoint from inside a batch job."

  async run(): Promise<{reason: string | null}> {
    const {checkpointStep} = await import('../launch/checkpoint-gate.js')
    const reason = await checkpointStep(
      this.args.action as 'check' | 'commit',
      path.resolve(this.args.dir),
      this.args.run,
      this.clock,
    )
    if (reason) {
      this.log(reason)
      process.exitCode = EXIT.failure
    }
    return {reason: reason ?? null}
  }
}

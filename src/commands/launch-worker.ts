import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {superviseRun} from '../launch/worker.js'
import type {RunRecord} from '../runs/record.js'

/** Internal: the background supervisor `exp launch --detach` starts. Not for people; hidden from help. */
export default class LaunchWorker extends BaseCommand<typeof LaunchWorker> {
  static args = {
    dir: Args.string({description: 'Experiment directory.', required: true}),
    run: Args.string({description: 'Run id.', required: true}),
  }

  static examples = [
    '<%= config.bin %> launch-worker /path/to/experiments/2025-01-22-x 20250122-101500-3f2a --root /path/to/workspace',
  ]

  static hidden = true

  static summary = 'Internal: supervise a detached run (started by exp launch --detach).'

  async run(): Promise<RunRecord> {
    const ws = await this.workspace()
    const record = await superviseRun(ws, this.args.dir, this.args.run, {now: this.clock})
    if (record.state === 'interrupted') process.exitCode = EXIT.interrupted
    else if (record.state !== 'completed') process.exitCode = EXIT.failure
    return record
  }
}

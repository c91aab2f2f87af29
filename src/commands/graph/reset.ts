import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import {nodeEditFlags} from '../../flags.js'
import {describeChanges, type OverrideResult} from '../../graph/overrides.js'

export default class GraphReset extends BaseCommand<typeof GraphReset> {
  static args = {
    id: Args.string({description: 'Node id.', required: true}),
  }

  static examples = [
    '<%= config.bin %> graph reset eval-1 --reason "fixed the eval suite"',
    '<%= config.bin %> graph reset ft-lr3 --downstream --dry-run',
  ]

  static flags = {
    downstream: Flags.boolean({description: 'Also reset every node that depends on it, directly or not.'}),
    ...nodeEditFlags,
  }

  static summary = 'Put a failed, interrupted or completed node back to not_started, so runners claim it again.'

  async run(): Promise<OverrideResult> {
    const ws = await this.workspace()
    const {resetNode} = await import('../../graph/overrides.js')
    const f = this.flags
    const result = await resetNode(ws, await graphOf(ws, this.clock), {
      downstream: f.downstream,
      dryRun: f['dry-run'],
      id: this.args.id,
      now: this.clock,
      reason: f.reason,
    })
    this.log(describeChanges(result))
    return result
  }
}

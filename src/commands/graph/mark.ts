import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import {nodeEditFlags} from '../../flags.js'
import {describeChanges, MARK_STATUSES, type MarkStatus, type OverrideResult} from '../../graph/overrides.js'

export default class GraphMark extends BaseCommand<typeof GraphMark> {
  static args = {
    id: Args.string({description: 'Node id.', required: true}),
    status: Args.string({description: 'The status to record.', options: [...MARK_STATUSES], required: true}),
  }

  static examples = [
    '<%= config.bin %> graph mark paper completed --reason "section 4 written"',
    '<%= config.bin %> graph mark ft-lr3 failed --reason "diverged, see notes"',
  ]

  static flags = nodeEditFlags

  static summary = 'Record a node completed, failed or not_started by hand (a paper node is completed this way).'

  async run(): Promise<OverrideResult> {
    const ws = await this.workspace()
    const {markNode} = await import('../../graph/overrides.js')
    const f = this.flags
    const result = await markNode(ws, await graphOf(ws, this.clock), {
      dryRun: f['dry-run'],
      id: this.args.id,
      now: this.clock,
      reason: f.reason,
      status: this.args.status as MarkStatus,
    })
    this.log(describeChanges(result))
    return result
  }
}

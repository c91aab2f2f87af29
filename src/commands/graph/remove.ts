import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import {EXIT} from '../../errors.js'
import {dryRun, yes} from '../../flags.js'
import type {EditResult} from '../../graph/edit.js'

export default class GraphRemove extends BaseCommand<typeof GraphRemove> {
  static args = {
    id: Args.string({description: 'Node id.', required: true}),
  }

  static examples = [
    '<%= config.bin %> graph remove eval-old --dry-run',
    '<%= config.bin %> graph remove eval-old --yes',
  ]

  static flags = {'dry-run': dryRun, yes}

  static summary = 'Remove a node from the work graph (refused while other nodes depend on it or it is in progress).'

  async run(): Promise<EditResult & {confirmed: boolean}> {
    const ws = await this.workspace()
    const {removeNode} = await import('../../graph/edit.js')
    const sure = this.flags.yes
    const result = await removeNode(await graphOf(ws, this.clock), {
      confirm: async (node) =>
        this.ask({
          message: `Remove ${node.action} node ${node.id} (${node.status})?`,
          needs: 'removing a node changes the plan and',
          yes: sure,
        }),
      dryRun: this.flags['dry-run'],
      id: this.args.id,
    })
    if (result.dry_run) this.log(`Would remove ${result.node.action} node ${result.node.id} (${result.node.status}).`)
    else if (result.confirmed) this.log(`Removed ${result.node.id} (graph version ${result.version}).`)
    else {
      process.exitCode = EXIT.usage
      this.log('Nothing removed.')
    }
    return result
  }
}

import {Args} from '@oclif/core'

import {graphAddFlags} from '../../command-flags/graph/add.js'
import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import type {EditResult} from '../../graph/edit.js'
import {type Action} from '../../graph/record.js'

export default class GraphAdd extends BaseCommand<typeof GraphAdd> {
  static args = {
    id: Args.string({description: 'Node id (letters, digits, ".", "_", "-").', required: true}),
  }

  static description = `A train, finetune or eval node acts on an experiment: --experiment names an existing one; otherwise the node's
spec holds a config (--config FILE, default exp.yaml base_config, with --set overrides) and exp creates
experiments/<date>-<id>/ from it when the node is first claimed. The graph file is created when absent.`

  static examples = [
    '<%= config.bin %> graph add base --action train --set model.latent_dim=16',
    '<%= config.bin %> graph add ft-lr3 --action finetune --depends-on base --set training.lr=0.001',
    '<%= config.bin %> graph add eval-lr3 --action eval --depends-on ft-lr3',
    '<%= config.bin %> graph add paper --action paper --depends-on eval-lr3',
    '<%= config.bin %> graph add base --action train --dry-run',
  ]

  static flags = graphAddFlags

  static summary = 'Add a node to the work graph.'

  async run(): Promise<EditResult> {
    const ws = await this.workspace()
    const {addNode} = await import('../../graph/edit.js')
    const f = this.flags
    const result = await addNode(ws, await graphOf(ws, this.clock), {
      action: f.action as Action,
      config: f.config,
      cwd: process.cwd(),
      dependsOn: f['depends-on'] ?? [],
      dryRun: f['dry-run'],
      experiment: f.experiment,
      id: this.args.id,
      now: this.clock,
      sets: f.set ?? [],
    })
    const deps = result.node.depends_on.length > 0 ? ` after ${result.node.depends_on.join(', ')}` : ''
    this.log(
      `${result.dry_run ? 'Would add' : 'Added'} ${result.node.action} node ${result.node.id}${deps} (graph version ${result.version}${result.dry_run ? '; nothing written' : ''}).`,
    )
    return result
  }
}

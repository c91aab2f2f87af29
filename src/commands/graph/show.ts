import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import {type GraphView, showGraph, toDot} from '../../graph/show.js'
import {graphViewNote, renderGraphView} from '../../graph/show-render.js'

export default class GraphShow extends BaseCommand<typeof GraphShow> {
  static description = `Each node in dependency order with its status, experiment, latest run, duration, the experiment's verdict,
and for every node that cannot run now the reason. Statuses are brought up to date first: a runner that is gone
makes its node interrupted; ended SLURM jobs (one squeue call) set their nodes' outcome; noops whose dependencies
completed complete.`

  static examples = [
    '<%= config.bin %> graph show',
    '<%= config.bin %> graph show --json',
    '<%= config.bin %> graph show --dot | dot -Tsvg > graph.svg',
  ]

  static flags = {
    dot: Flags.boolean({description: 'Print the graph in Graphviz dot format.'}),
  }

  static summary = 'Show the work graph: every node, its status, and why it waits.'

  async run(): Promise<GraphView> {
    const ws = await this.workspace()
    const view = await showGraph(ws, await graphOf(ws, this.clock), {now: this.clock})
    if (this.flags.dot) {
      this.log(toDot(view))
      return view
    }
    if (this.jsonEnabled()) return view
    this.log(renderGraphView(view))
    const note = graphViewNote(view)
    if (note) this.note(note)
    return view
  }
}

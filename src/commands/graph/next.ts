import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import type {GraphView, NodeRow} from '../../graph/show.js'

export default class GraphNext extends BaseCommand<typeof GraphNext> {
  static examples = ['<%= config.bin %> graph next', '<%= config.bin %> graph next --json']

  static summary = 'The node exp graph run would claim now, without claiming it.'

  async run(): Promise<{next: NodeRow | null; version: GraphView['version']}> {
    const ws = await this.workspace()
    const {showGraph} = await import('../../graph/show.js')
    const view = await showGraph(ws, await graphOf(ws, this.clock), {now: this.clock})
    const next = view.nodes.find((n) => n.id === view.next) ?? null
    if (next) this.log(`${next.id} (${next.action}${next.experiment ? ` on ${next.experiment}` : ''})`)
    else {
      const waiting = view.nodes.filter((n) => n.why && n.status === 'not_started').map((n) => `${n.id}: ${n.why}`)
      this.log(`Nothing is runnable now.${waiting.length > 0 ? `\n${waiting.join('\n')}` : ''}`)
    }
    return {next, version: view.version}
  }
}

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import type {CheckResult} from '../../graph/check.js'

export default class GraphValidate extends BaseCommand<typeof GraphValidate> {
  static description = `Checks every rule before anything runs: each key matches its node's id; actions and statuses are known;
dependencies exist, are not the node itself and form no cycle (printed a → b → c → a); each train/finetune/eval
node has its spec's config or an experiment, which exists; an input checkpoint is never ambiguous. The first problem
is one line naming the node, exit 2; --json lists them all.`

  static examples = ['<%= config.bin %> graph validate', '<%= config.bin %> graph validate --json']

  static summary = 'Check the work graph against every rule.'

  async run(): Promise<CheckResult> {
    const ws = await this.workspace()
    const {checkGraph} = await import('../../graph/check.js')
    const {doc: _doc, ...result} = await checkGraph(ws, await graphOf(ws, this.clock), {assert: !this.jsonEnabled()})
    if (!result.valid) process.exitCode = 2
    this.log(`${result.file}: valid (${result.nodes} nodes, version ${result.version}).`)
    return result
  }
}

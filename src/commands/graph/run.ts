import {graphRunFlags} from '../../command-flags/graph/run.js'
import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import type {RunGraphResult} from '../../graph/runner.js'
import type {BackendName} from '../../runs/record.js'

export default class GraphRun extends BaseCommand<typeof GraphRun> {
  static description = `Claims runnable nodes (every dependency completed) one at a time, each claim one atomic read-check-write of the
graph under the workspace lock, and runs them, up to --workers at once, until nothing is runnable and nothing is in
progress. Any number of runners may work on one graph: they never claim the same node. Ctrl-C stops the engines,
marks this runner's nodes interrupted and exits 130.`

  static examples = [
    '<%= config.bin %> graph run',
    '<%= config.bin %> graph run --workers 4',
    '<%= config.bin %> graph run --dry-run',
    '<%= config.bin %> graph run --backend slurm --detach',
  ]

  static flags = graphRunFlags

  static summary = 'Run the work graph: claim runnable nodes and run them.'

  async run(): Promise<RunGraphResult | {detached: true; pid: number; log: string}> {
    const ws = await this.workspace()
    const f = this.flags
    const {checkGraph} = await import('../../graph/check.js')
    const store = await graphOf(ws, this.clock)
    await checkGraph(ws, store)
    if (f.detach && !f['dry-run']) {
      const {detachGraphRun} = await import('../../graph/detach.js')
      const started = await detachGraphRun(ws, (await import('../../graph/run-render.js')).detachArgs(f), this.clock)
      this.log(
        `Started the graph runner in the background (pid ${started.pid}); its output: ${started.log}. Follow it: exp graph show`,
      )
      return {detached: true, ...started}
    }
    const {runGraph} = await import('../../graph/runner.js')
    const {withStopSignals} = await import('../../launch/signals.js')
    const chatty = !this.jsonEnabled()
    const hooks = await (
      await import('../../remote/graph-hooks.js')
    ).remoteNodeHooks(ws, (line) => chatty && this.log(line))
    const options = {
      hooks,
      backend: (f.backend ?? ws.settings.backends.default) as BackendName,
      dryRun: f['dry-run'],
      log: (line: string) => chatty && this.log(line),
      maxNodes: f['max-nodes'],
      now: this.clock,
      store,
      workers: f.workers,
    }
    const {result} = await withStopSignals((signal) => runGraph(ws, {...options, signal}))
    const outcome = (await import('../../graph/run-render.js')).graphRunOutcome(result)
    this.log(outcome.line)
    if (outcome.exit !== undefined) process.exitCode = outcome.exit
    return result
  }
}


import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {experimentArg, numberFlag, runFlag} from '../flags.js'
import {withStopSignals} from '../launch/signals.js'
import {watchRun, type WatchResult} from '../runs/watch.js'

export default class Watch extends BaseCommand<typeof Watch> {
  static args = {
    name: experimentArg({required: true}),
  }

  static description = `Refreshes the run through its backend every interval and prints each stage's state change until every stage has
ended; when the run completes while watched, its results are collected (vast: copied home). Exits 0 when the run
completed, 1 when it failed, was cancelled or interrupted. Ctrl-C stops watching; the run goes on.`

  static examples = ['<%= config.bin %> watch test-64dim', '<%= config.bin %> watch test-64dim --interval 30 --run 20250122-101500-3f2a']

  static flags = {
    interval: numberFlag({description: 'Seconds between two refreshes (default: poll_interval of the backend in exp.yaml; local runs 2).'}),
    run: runFlag(),
  }

  static summary = 'Follow a run until it ends, printing its state changes.'

  async run(): Promise<WatchResult> {
    const ws = await this.workspace()
    const intervalMs = this.flags.interval === undefined ? undefined : Math.max(50, Math.round(this.flags.interval * 1000))
    const {result, stoppedBy} = await withStopSignals((signal) =>
      watchRun(ws, {intervalMs, log: (line) => !this.jsonEnabled() && this.log(line), name: this.args.name, now: this.clock, run: this.flags.run, signal}),
    )
    if (stoppedBy) {
      process.exitCode = EXIT.interrupted
      this.note(`Stopped watching; run ${result.run_id} is still ${result.record.state}.`)
    } else if (result.record.state !== 'completed') {
      process.exitCode = EXIT.failure
    }
    return result
  }
}

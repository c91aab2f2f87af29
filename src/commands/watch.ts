import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {numberFlag} from '../flags.js'
import {withStopSignals} from '../launch/signals.js'
import type {Outcome} from '../experiments/outcome.js'
import {watchRun, type WatchResult} from '../runs/watch.js'

export default class Watch extends BaseCommand<typeof Watch> {
  static args = {
    name: Args.string({description: 'Experiment: full directory name, or the name without its date when unique.', required: true}),
  }

  static description = `Refreshes the run through its backend every interval and prints each stage's state change until every stage has
ended; when the run completes while watched, its results are collected (vast: copied home). Exits 0 when the run
completed, 1 when it failed, was cancelled or interrupted. Ctrl-C stops watching; the run goes on.`

  static examples = ['<%= config.bin %> watch test-64dim', '<%= config.bin %> watch test-64dim --interval 30 --run 20250122-101500-3f2a']

  static flags = {
    interval: numberFlag({description: 'Seconds between two refreshes (default: poll_interval of the backend in exp.yaml; local runs 2).'}),
    run: Flags.string({description: 'Run id (or a unique prefix); default: the newest run.'}),
  }

  static summary = 'Follow a run until it ends, printing its state changes.'

  async run(): Promise<WatchResult & {outcome?: Outcome}> {
    const ws = await this.workspace()
    const intervalMs = this.flags.interval === undefined ? undefined : Math.max(50, Math.round(this.flags.interval * 1000))
    const {result, stoppedBy} = await withStopSignals((signal) =>
      watchRun(ws, {intervalMs, log: (line) => !this.jsonEnabled() && this.log(line), name: this.args.name, now: this.clock, run: this.flags.run, signal}),
    )
    if (stoppedBy) {
      process.exitCode = EXIT.interrupted
      this.note(`Stopped watching; run ${result.run_id} is still ${result.record.state}.`)
      return result
    }
    if (result.record.state !== 'completed') process.exitCode = EXIT.failure
    // the run has ended: what it means for the experiment (the report's metric and verdict)
    const {experimentOutcome, outcomeLine} = await import('../experiments/outcome.js')
    const outcome = await experimentOutcome(ws, this.args.name, {now: this.clock})
    this.log(`Result: ${outcomeLine(outcome)}`)
    return {...result, outcome}
  }
}


import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {EXPERIMENT_HELP, experimentArg, numberFlag, runFlag} from '../flags.js'
import {withStopSignals} from '../launch/signals.js'
import type {Outcome} from '../experiments/outcome.js'
import type {SweepWatchResult} from '../sweeps/observe-watch.js'
import {watchTarget, type WatchResult} from '../runs/watch.js'

export default class Watch extends BaseCommand<typeof Watch> {
  static args = {
    name: experimentArg({description: `${EXPERIMENT_HELP} One variant of a sweep: EXP/VARIANT.`, required: true}),
  }

  static description = `Refreshes the run through its backend every interval and prints each stage's state change until every stage has
ended; when the run completes while watched, its results are collected (vast: copied home). Exits 0 when the run
completed, 1 when it failed, was cancelled or interrupted. Ctrl-C stops watching; the run goes on.
On a sweep, follows every variant (one backend refresh per interval), keeps the orchestration log (launch.log) and
the status table of experiment_summary.md up to date, and ends with a summary: durations, metric and verdict per
variant, counts per phase, the best variant and the next commands.`

  static examples = ['<%= config.bin %> watch test-64dim', '<%= config.bin %> watch test-64dim --interval 30 --run 20250122-101500-3f2a', '<%= config.bin %> watch cap-lora-sweep']

  static flags = {
    interval: numberFlag({description: 'Seconds between two refreshes (default: poll_interval of the backend in exp.yaml; local runs 2).'}),
    run: runFlag(),
  }

  static summary = 'Follow a run, or every variant of a sweep, until it ends, printing the state changes.'

  async run(): Promise<(WatchResult & {outcome?: Outcome}) | SweepWatchResult> {
    const ws = await this.workspace()
    const intervalMs = this.flags.interval === undefined ? undefined : Math.max(50, Math.round(this.flags.interval * 1000))
    const {result, stoppedBy} = await withStopSignals((signal) =>
      watchTarget(ws, {intervalMs, log: (line) => !this.jsonEnabled() && this.log(line), name: this.args.name, now: this.clock, run: this.flags.run, signal}),
    )
    if ('sweep' in result) {
      const live = result.variants.filter((v) => v.state === 'queued' || v.state === 'running').length
      if (stoppedBy || result.stopped) {
        process.exitCode = EXIT.interrupted
        this.note(`Stopped watching; ${live} variant(s) still live: their jobs go on (exp watch ${result.experiment} resumes).`)
        return result
      }
      for (const c of result.collected) this.log(`${c.variant}: ${c.message}`)
      if (!this.jsonEnabled()) for (const line of (await import('../sweeps/observe-render.js')).renderSweepSummary(result)) this.log(line)
      if (result.variants.some((v) => v.state !== 'completed')) process.exitCode = EXIT.failure
      return result
    }
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

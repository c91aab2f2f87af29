import {BaseCommand} from '../base-command.js'
import {EXPERIMENT_HELP, experimentArg, numberFlag, runFlag} from '../flags.js'
import {type WatchCommandResult, watchRequest} from '../runs/watch-request.js'

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

  static examples = [
    '<%= config.bin %> watch test-64dim',
    '<%= config.bin %> watch test-64dim --interval 30 --run 20250122-101500-3f2a',
    '<%= config.bin %> watch cap-lora-sweep',
  ]

  static flags = {
    interval: numberFlag({
      description: 'Seconds between two refreshes (default: poll_interval of the backend in exp.yaml; local runs 2).',
    }),
    run: runFlag(),
  }

  static summary = 'Follow a run, or every variant of a sweep, until it ends, printing the state changes.'

  async run(): Promise<WatchCommandResult> {
    const ws = await this.workspace()
    const intervalMs =
      this.flags.interval === undefined ? undefined : Math.max(50, Math.round(this.flags.interval * 1000))
    const log = (line: string) => !this.jsonEnabled() && this.log(line)
    const {exit, lines, note, result} = await watchRequest(ws, {
      intervalMs,
      log,
      name: this.args.name,
      now: this.clock,
      run: this.flags.run,
    })
    if (exit !== undefined) process.exitCode = exit
    if (note) this.note(note)
    for (const line of lines) this.log(line)
    return result
  }
}

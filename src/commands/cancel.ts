import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {dryRun, EXPERIMENT_HELP, experimentArg, runFlag, yes} from '../flags.js'
import {cancelRuns, type CancelResult} from '../runs/control.js'

export default class Cancel extends BaseCommand<typeof Cancel> {
  static args = {
    name: experimentArg({
      description: `${EXPERIMENT_HELP} A sweep: all its variants' live runs; one variant: EXP/VARIANT.`,
      required: true,
    }),
  }

  static examples = [
    '<%= config.bin %> cancel test-64dim',
    '<%= config.bin %> cancel test-64dim --yes',
    '<%= config.bin %> cancel test-64dim --run 20250122-101500-3f2a --dry-run',
  ]

  static flags = {
    'dry-run': dryRun,
    run: runFlag('Only this run (id or unique prefix); default: every live run of the experiment.'),
    yes,
  }

  static summary =
    "Stop an experiment's live runs (local engines, SLURM jobs, vast instances) and record them cancelled."

  async run(): Promise<CancelResult> {
    const ws = await this.workspace()
    const {'dry-run': dry, run, yes: sure} = this.flags
    // a sweep's variant runs name their variant
    const of = (r: {experiment: string}) =>
      r.experiment.includes('/') && !this.args.name.includes('/') ? ` of ${r.experiment}` : ''
    const result = await cancelRuns(ws, {
      confirm: async (runs) =>
        this.ask({
          message: `Stop ${runs.map((r) => `${r.run_id}${of(r)} (${r.backend}, ${r.state})`).join(', ')}?`,
          needs: `stopping ${runs.length} live run(s)`,
          yes: sure,
        }),
      dryRun: dry,
      log: (line) => !this.jsonEnabled() && this.log(line),
      name: this.args.name,
      now: this.clock,
      run,
    })
    if (result.runs.length === 0) this.log(`${result.experiment} has no live run to cancel.`)
    else if (dry)
      for (const r of result.runs) this.log(`Would cancel run ${r.run_id}${of(r)} (${r.backend}, ${r.state}).`)
    else if (!result.confirmed) {
      process.exitCode = EXIT.usage
      this.log('Nothing cancelled.')
    } else for (const r of result.runs) this.log(`Run ${r.run_id}${of(r)} (${r.backend}): ${r.state}.`)
    return result
  }
}

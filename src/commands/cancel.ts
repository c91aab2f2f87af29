import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {dryRun, yes} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'
import {cancelRuns, type CancelResult} from '../runs/control.js'

export default class Cancel extends BaseCommand<typeof Cancel> {
  static args = {
    name: Args.string({description: 'Experiment (full directory name, or the name without its date when unique), a sweep (all its variants\' live runs) or one variant: EXP/VARIANT.', required: true}),
  }

  static examples = ['<%= config.bin %> cancel test-64dim', '<%= config.bin %> cancel test-64dim --yes', '<%= config.bin %> cancel test-64dim --run 20250122-101500-3f2a --dry-run']

  static flags = {
    'dry-run': dryRun,
    run: Flags.string({description: 'Only this run (id or unique prefix); default: every live run of the experiment.'}),
    yes,
  }

  static summary = 'Stop an experiment\'s live runs (local engines, SLURM jobs, vast instances) and record them cancelled.'

  async run(): Promise<CancelResult> {
    const ws = await this.workspace()
    const {'dry-run': dry, run, yes: sure} = this.flags
    // a sweep's variant runs name their variant
    const of = (r: {experiment: string}) => (r.experiment.includes('/') && !this.args.name.includes('/') ? ` of ${r.experiment}` : '')
    const result = await cancelRuns(ws, {
      async confirm(runs) {
        if (sure) return true
        if (!isInteractive()) {
          throw new ExpError(`cancel stops ${runs.length} live run(s) and needs confirmation, but there is no terminal to ask on.`, {code: 'NEEDS_YES', exit: EXIT.usage, suggestion: 'add --yes'})
        }
        const {confirm} = await import('@inquirer/prompts')
        return confirm({default: false, message: `Stop ${runs.map((r) => `${r.run_id}${of(r)} (${r.backend}, ${r.state})`).join(', ')}?`})
      },
      dryRun: dry,
      log: (line) => !this.jsonEnabled() && this.log(line),
      name: this.args.name,
      now: this.clock,
      run,
    })
    if (result.runs.length === 0) this.log(`${result.experiment} has no live run to cancel.`)
    else if (dry) for (const r of result.runs) this.log(`Would cancel run ${r.run_id}${of(r)} (${r.backend}, ${r.state}).`)
    else if (!result.confirmed) {
      process.exitCode = EXIT.usage
      this.log('Nothing cancelled.')
    } else for (const r of result.runs) this.log(`Run ${r.run_id}${of(r)} (${r.backend}): ${r.state}.`)
    return result
  }
}

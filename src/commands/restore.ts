import {Args} from '@oclif/core'

import type {RestoreResult} from '../archive/restore.js'
import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {dryRun, yes} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'

export default class Restore extends BaseCommand<typeof Restore> {
  static args = {
    name: Args.string({description: 'Archived experiment: full directory name, or the name without its date when unique.', required: true}),
  }

  static description = `The way back from exp archive: one journaled rename, as crash-safe as archiving. The archive record stays in
metadata.json as history (with restored_at). Refused when experiments/<name> exists.`

  static examples = ['<%= config.bin %> restore 2025-01-22-test-64dim --yes', '<%= config.bin %> restore test-64dim --dry-run']

  static flags = {'dry-run': dryRun, yes}

  static summary = 'Move an archived experiment back to experiments/.'

  async run(): Promise<RestoreResult> {
    const ws = await this.workspace()
    const {restoreExperiment} = await import('../archive/restore.js')
    const options = {name: this.args.name, now: this.clock}
    const plan = await restoreExperiment(ws, {...options, dryRun: true})
    if (this.flags['dry-run']) {
      this.log(`Would restore ${plan.name}: ${plan.from}/ → ${plan.to}/ (dry run: nothing changes).`)
      return plan
    }
    if (!this.flags.yes) await this.confirm(plan)
    const result = await restoreExperiment(ws, options)
    for (const line of result.recovered) this.note(line)
    const was = result.archived ? ` (archived as ${result.archived.status} on ${result.archived.archived_at})` : ''
    this.log(`Restored ${result.name}: ${result.from}/ → ${result.to}/${was}.`)
    return result
  }

  private async confirm(plan: RestoreResult): Promise<void> {
    if (!isInteractive()) {
      throw new ExpError(`restoring ${plan.name} needs confirmation and there is no terminal to ask on.`, {code: 'NEEDS_YES', exit: EXIT.usage, suggestion: `exp restore ${plan.name} --yes`})
    }
    const {confirm} = await import('@inquirer/prompts')
    const answer = await confirm({default: true, message: `Move ${plan.from}/ back to ${plan.to}/?`}).catch(() => false)
    if (!answer) throw new ExpError('cancelled; nothing was restored.', {code: 'CANCELLED', exit: EXIT.usage})
  }
}

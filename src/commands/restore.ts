import type {RestoreResult} from '../archive/restore.js'
import {BaseCommand} from '../base-command.js'
import {dryRun, experimentArg, yes} from '../flags.js'

export default class Restore extends BaseCommand<typeof Restore> {
  static args = {
    name: experimentArg({
      description: 'Archived experiment: its folder name, or the name without its date when unique.',
      required: true,
    }),
  }

  static description = `The way back from exp archive: one journaled rename, as crash-safe as archiving. The archive record stays in
metadata.json as history (with restored_at). Refused when experiments/<name> exists.`

  static examples = ['<%= config.bin %> restore test-16dim --yes', '<%= config.bin %> restore test-16dim --dry-run']

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
    await this.confirmOrCancel({
      cancelled: 'cancelled; nothing was restored.',
      default: true,
      message: `Move ${plan.from}/ back to ${plan.to}/?`,
      needs: `restoring ${plan.name}`,
      suggestion: `exp restore ${plan.name} --yes`,
      yes: this.flags.yes,
    })
    const result = await restoreExperiment(ws, options)
    for (const line of result.recovered) this.note(line)
    const was = result.archived ? ` (archived as ${result.archived.status} on ${result.archived.archived_at})` : ''
    this.log(`Restored ${result.name}: ${result.from}/ → ${result.to}/${was}.`)
    return result
  }
}

import {BaseCommand} from '../../base-command.js'
import type {CronRemoveResult} from '../../cron/cron.js'
import {dryRun} from '../../flags.js'

export default class CronRemove extends BaseCommand<typeof CronRemove> {
  static examples = ['<%= config.bin %> cron remove --dry-run']

  static flags = {'dry-run': dryRun}

  static summary = "Remove this workspace's line from your crontab (other lines are kept)."

  async run(): Promise<CronRemoveResult> {
    const ws = await this.workspace()
    const {removeCron} = await import('../../cron/cron.js')
    const result = await removeCron(ws, {dryRun: this.flags['dry-run'], now: this.clock})
    if (result.dry_run)
      this.log(
        result.removed > 0
          ? 'Would remove the exp line for this workspace (dry run: the crontab is unchanged).'
          : 'No exp line for this workspace in your crontab; nothing to remove.',
      )
    else
      this.log(
        result.removed > 0
          ? 'Removed the exp line for this workspace from your crontab.'
          : 'No exp line for this workspace in your crontab; nothing to remove.',
      )
    return result
  }
}

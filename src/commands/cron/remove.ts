import {BaseCommand} from '../../base-command.js'
import type {CronRemoveResult} from '../../cron/cron.js'

export default class CronRemove extends BaseCommand<typeof CronRemove> {
  static examples = ['<%= config.bin %> cron remove']

  static summary = "Remove this workspace's line from your crontab (other lines are kept)."

  async run(): Promise<CronRemoveResult> {
    const ws = await this.workspace()
    const {removeCron} = await import('../../cron/cron.js')
    const result = await removeCron(ws, {now: this.clock})
    this.log(result.removed > 0 ? 'Removed the exp line for this workspace from your crontab.' : 'No exp line for this workspace in your crontab; nothing to remove.')
    return result
  }
}

import {BaseCommand} from '../../base-command.js'
import type {CronJob} from '../../cron/cron.js'

export default class CronShow extends BaseCommand<typeof CronShow> {
  static examples = ['<%= config.bin %> cron show', '<%= config.bin %> cron show --json']

  static summary = "Show this workspace's crontab line and its next three runs."

  async run(): Promise<CronJob> {
    const ws = await this.workspace()
    const {describeRuns, showCron} = await import('../../cron/cron.js')
    const job = await showCron(ws, {now: this.clock})
    if (!job.installed) {
      this.log('No exp line for this workspace in your crontab. Install one with: exp cron install')
      return job
    }
    this.log(job.line!)
    this.log(`Next runs: ${describeRuns(job).join(', ')}`)
    this.log(`Log: ${job.log}`)
    return job
  }
}

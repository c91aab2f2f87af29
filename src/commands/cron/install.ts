import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {CronInstallResult} from '../../cron/cron.js'
import {dryRun} from '../../flags.js'

export default class CronInstall extends BaseCommand<typeof CronInstall> {
  static description = `Writes one line to your crontab (through the crontab program) that runs exp in this workspace with absolute
paths, appending its output, each line timestamped, to .exp/cron.log. Installing again replaces that line; every
other line of your crontab is kept as it was.`

  static examples = [
    '<%= config.bin %> cron install --dry-run',
    '<%= config.bin %> cron install --schedule "30 2 * * 1" --command "archive --status failed --status stale --yes"',
  ]

  static flags = {
    'dry-run': dryRun,
    command: Flags.string({
      description:
        'The exp arguments to run (default: cron.command in exp.yaml, "archive --status all --older-than 14d --yes": experiments idle for two weeks).',
    }),
    schedule: Flags.string({
      description: 'Cron schedule, five fields or @weekly (default: cron.schedule in exp.yaml, "0 0 * * 0").',
    }),
  }

  static summary = 'Install the weekly archive job (or any exp command) in your crontab.'

  async run(): Promise<CronInstallResult> {
    const ws = await this.workspace()
    const {describeRuns, installCron} = await import('../../cron/cron.js')
    const isCommand = (words: string[]) =>
      Boolean(this.config.findCommand(words[0]) ?? this.config.findCommand(words.slice(0, 2).join(':')))
    const result = await installCron(ws, {
      command: this.flags.command,
      isCommand,
      dryRun: this.flags['dry-run'],
      now: this.clock,
      schedule: this.flags.schedule,
    })
    this.log(
      `${result.dry_run ? 'Would install (dry run: the crontab is unchanged)' : result.replaced > 0 ? 'Replaced' : 'Installed'} the exp line in your crontab:`,
    )
    this.log(`  ${result.line}`)
    this.log(`Next runs: ${describeRuns(result).join(', ')}`)
    this.log(`Output goes to ${result.log}`)
    return result
  }
}

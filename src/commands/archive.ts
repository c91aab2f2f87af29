import {Args} from '@oclif/core'

import type {ArchiveChoice} from '../archive/choices.js'
import type {ArchiveCommandResult} from '../archive/request.js'
import {archiveFlags} from '../command-flags/archive.js'
import {BaseCommand} from '../base-command.js'

export default class Archive extends BaseCommand<typeof Archive> {
  static args = {
    names: Args.string({
      description: 'Experiments to archive (full directory name, or the name without its date when unique).',
    }),
  }

  static description = `Moves each whole experiment directory to experiments-archive/<name>/ (a rename: as fast for 100 GB of
checkpoints as for 1 KB), copies the workspace reports that belong to it into its reports/, and writes an archive
metadata.json (status and reason, archived_at, original path, files and bytes, the reports, the exp version; the
experiment's own metadata keys are kept). Active experiments are never archived. Every move is journaled: killed at
any instant, the next exp command finishes or rolls it back.`

  static examples = [
    '<%= config.bin %> archive --status all --dry-run',
    '<%= config.bin %> archive --list-only',
    '<%= config.bin %> archive --status failed --status stale --yes',
    '<%= config.bin %> archive --older-than 14d --yes',
    '<%= config.bin %> archive test-128dim test-8dim --dry-run',
  ]

  static flags = archiveFlags

  static strict = false

  static summary =
    'Move finished experiments (success, failed, stale) to the archive, with their reports and an archive record.'

  async run(): Promise<ArchiveCommandResult> {
    const ws = await this.workspace()
    const {flags} = this
    const [{archiveRequest}, {archiveProgress, archiveQuestion}] = await Promise.all([
      import('../archive/request.js'),
      import('../archive/render.js'),
    ])
    const {exit, result} = await archiveRequest(ws, {
      confirm: (list, n) => this.confirmOrCancel(archiveQuestion(list, n)),
      dryRun: flags['dry-run'],
      listOnly: flags['list-only'],
      log: (line) => this.log(line),
      names: this.argvList,
      note: (line) => this.note(line),
      now: this.clock,
      olderThanMs: flags['older-than'],
      progress: await archiveProgress((line) => this.log(line), Boolean(process.stderr.isTTY) && !this.jsonEnabled()),
      status: flags.status as ArchiveChoice[] | undefined,
      yes: flags.yes,
    })
    process.exitCode = exit
    return result
  }
}

import {Args, Flags} from '@oclif/core'

import type {ArchivePlan, ArchiveResult} from '../archive/archive.js'
import type {ArchiveChoice} from '../archive/choices.js'
import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import type {ListResult} from '../experiments/listing.js'
import {archiveStatus, dryRun, durationFlag, yes} from '../flags.js'

export type ArchiveCommandResult = ArchiveResult | (ArchivePlan & {dry_run: true}) | (ListResult & {list_only: true})

export default class Archive extends BaseCommand<typeof Archive> {
  static args = {
    names: Args.string({description: 'Experiments to archive (full directory name, or the name without its date when unique).'}),
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

  static flags = {
    'dry-run': dryRun,
    'list-only': Flags.boolean({description: 'Print the statuses (summary and experiments per status) and change nothing.', exclusive: ['dry-run', 'yes']}),
    'older-than': durationFlag({description: 'Only experiments whose last activity (newest file change) is older than this: 14d, 36h, 2w.'}),
    status: archiveStatus,
    yes,
  }

  static strict = false

  static summary = 'Move finished experiments (success, failed, stale) to the archive, with their reports and an archive record.'

  async run(): Promise<ArchiveCommandResult> {
    const ws = await this.workspace()
    const {flags} = this
    const names = this.argvList
    const choice = flags.status ? '--status' : flags['older-than'] === undefined ? undefined : '--older-than'
    if (names.length > 0 && choice) throw new ExpError(`name experiments or choose ${choice}, not both.`, {code: 'USAGE', exit: EXIT.usage})
    const {archiveExperiments, planArchive} = await import('../archive/archive.js')
    const render = await import('../archive/render.js')
    const selection = {log: (line: string) => this.note(line), names, now: this.clock, olderThanMs: flags['older-than'], status: flags.status as ArchiveChoice[] | undefined}
    if (flags['list-only']) {
      const list = await (await import('../experiments/listing.js')).listExperiments(ws, {now: this.clock})
      this.log(render.renderListOnly(list, ws.settings.promote.metric))
      return {...list, list_only: true}
    }
    let confirmed: string[] | undefined
    if (flags['dry-run'] || !flags.yes) {
      const plan = await planArchive(ws, {...selection, contents: flags['dry-run']})
      if (flags['dry-run']) {
        this.log(render.renderPlan(plan))
        if (plan.items.some((i) => i.refused)) process.exitCode = EXIT.failure
        return {...plan, dry_run: true}
      }
      if (plan.items.length === 0) {
        this.log(`Nothing to archive. ${render.renderSummaryLine(plan.summary)}`)
        return {duration_ms: 0, recovered: [], results: [], summary: {archived: 0, failed: 0, skipped: 0}}
      }
      const n = plan.items.filter((i) => !i.refused).length
      const what = `${n} experiment${n === 1 ? '' : 's'}`
      if (n > 0) await this.confirmOrCancel({cancelled: 'cancelled; nothing was archived.', list: render.renderConfirmList(plan.items), message: `Move ${what} to the archive?`, needs: `archiving ${what}`, suggestion: 'add --yes to archive them, or --dry-run to see what would happen.', yes: false})
      confirmed = plan.items.map((i) => i.name)
    }
    const bar = await render.archiveProgress((line) => this.log(line), Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const result = await archiveExperiments(ws, {...selection, confirmed, onItem: (r, done) => bar.item(r, done), onStart: (n) => bar.start(n)})
    bar.stop()
    if (result.results.length === 0) this.log('Nothing to archive.')
    this.log(render.renderArchiveSummary(result))
    process.exitCode = result.summary.failed > 0 ? EXIT.failure : EXIT.ok
    return result
  }
}

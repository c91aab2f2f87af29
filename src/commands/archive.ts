import {Args, Flags} from '@oclif/core'

import type {ArchiveItemResult, ArchivePlan, ArchiveResult} from '../archive/archive.js'
import type {ArchiveChoice} from '../archive/choices.js'
import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import type {ListResult} from '../experiments/listing.js'
import {archiveStatus, dryRun, yes} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'

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
    '<%= config.bin %> archive 2025-01-22-test-64dim lr-sweep-a',
  ]

  static flags = {
    'dry-run': dryRun,
    'list-only': Flags.boolean({description: 'Print the statuses (summary and experiments per status) and change nothing.', exclusive: ['dry-run', 'yes']}),
    status: archiveStatus,
    yes,
  }

  static strict = false

  static summary = 'Move finished experiments (success, failed, stale) to the archive, with their reports and an archive record.'

  async run(): Promise<ArchiveCommandResult> {
    const ws = await this.workspace()
    const names = this.argvList
    if (names.length > 0 && this.flags.status) throw new ExpError('name experiments or choose --status, not both.', {code: 'USAGE', exit: EXIT.usage})
    const {archiveExperiments, planArchive} = await import('../archive/archive.js')
    const render = await import('../archive/render.js')
    const selection = {log: (line: string) => this.note(line), names, now: this.clock, status: this.flags.status as ArchiveChoice[] | undefined}
    if (this.flags['list-only']) {
      const {listExperiments} = await import('../experiments/listing.js')
      const list = await listExperiments(ws, {now: this.clock})
      this.log(render.renderListOnly(list, ws.settings.promote.metric))
      return {...list, list_only: true}
    }
    let confirmed: string[] | undefined
    if (this.flags['dry-run'] || !this.flags.yes) {
      const plan = await planArchive(ws, {...selection, contents: this.flags['dry-run']})
      if (this.flags['dry-run']) {
        this.log(render.renderPlan(plan))
        if (plan.items.some((i) => i.refused)) process.exitCode = EXIT.failure
        return {...plan, dry_run: true}
      }
      if (plan.items.length === 0) {
        this.log(`Nothing to archive. ${render.renderSummaryLine(plan.summary)}`)
        return {duration_ms: 0, recovered: [], results: [], summary: {archived: 0, failed: 0, skipped: 0}}
      }
      confirmed = await this.confirm(plan, render.renderConfirmList)
    }
    const bar = await this.progress()
    const result = await archiveExperiments(ws, {...selection, confirmed, onItem: (r, done) => bar.item(r, done, render.renderResultLine(r)), onStart: (n) => bar.start(n)})
    bar.stop()
    if (result.results.length === 0) this.log('Nothing to archive.')
    this.log(render.renderArchiveSummary(result))
    process.exitCode = result.summary.failed > 0 ? EXIT.failure : EXIT.ok
    return result
  }

  /**
   * On a terminal: show the list and ask. Without one: refuse (exit 2) and say how. Returns the names confirmed (those
   * refused too: they are reported as failed, with the reason). Nothing to move: nothing to ask.
   */
  private async confirm(plan: ArchivePlan, list: (items: ArchivePlan['items']) => string): Promise<string[]> {
    const ok = plan.items.filter((i) => !i.refused)
    if (ok.length === 0) return plan.items.map((i) => i.name)
    if (!isInteractive()) {
      throw new ExpError(`archiving ${ok.length} experiment${ok.length === 1 ? '' : 's'} needs confirmation and there is no terminal to ask on.`, {
        code: 'NEEDS_YES',
        exit: EXIT.usage,
        suggestion: 'add --yes to archive them, or --dry-run to see what would happen.',
      })
    }
    this.log(list(plan.items))
    const {confirm} = await import('@inquirer/prompts')
    const answer = await confirm({default: false, message: `Move ${ok.length} experiment${ok.length === 1 ? '' : 's'} to the archive?`}).catch(() => false)
    if (!answer) throw new ExpError('cancelled; nothing was archived.', {code: 'CANCELLED', exit: EXIT.usage})
    return plan.items.map((i) => i.name)
  }

  /** A progress bar on a terminal (stderr), plain lines otherwise; failures are always listed. */
  private async progress() {
    const lines: string[] = []
    const tty = Boolean(process.stderr.isTTY) && !this.jsonEnabled()
    const progress = tty ? await import('cli-progress') : undefined
    let bar: import('cli-progress').SingleBar | undefined
    return {
      item: (r: ArchiveItemResult, done: number, line: string) => {
        if (bar) {
          bar.update(done, {name: r.name})
          if (r.outcome !== 'archived') lines.push(line)
        } else this.log(line)
      },
      start: (total: number) => {
        if (!progress || total < 2) return
        const {Presets, SingleBar} = progress
        bar = new SingleBar({format: 'Archiving [{bar}] {value}/{total} {name}', hideCursor: true, stream: process.stderr}, Presets.shades_classic)
        bar.start(total, 0, {name: ''})
      },
      stop: () => {
        bar?.stop()
        for (const line of lines) this.log(line)
      },
    }
  }
}

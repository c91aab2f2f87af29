import {markFlags} from '../command-flags/mark.js'
import {BaseCommand} from '../base-command.js'
import type {MarkResult} from '../curate/mark.js'
import {EXIT, ExpError} from '../errors.js'
import {experimentArg} from '../flags.js'

export default class Mark extends BaseCommand<typeof Mark> {
  static args = {
    name: experimentArg({required: true}),
  }

  static description = `Writes metadata.json status (success or failed), which classification ranks above every report, and appends
"Status: ✓ REASON" (or ✗) to notes.md, ending in <!-- exp mark --> so exp can recognise its own line. Marking again
replaces exp's earlier verdict; --clear removes it (the status, exp's lines, nothing a person wrote), so the reports
decide again.`

  static examples = [
    '<%= config.bin %> mark test-64dim --success --reason "NRMSE 0.05, beats the golden config"',
    '<%= config.bin %> mark test-32dim --failed --reason "diverged after epoch 40"',
    '<%= config.bin %> mark test-64dim --clear --dry-run',
  ]

  static flags = markFlags

  static summary = "Record a person's verdict on an experiment (success or failed, with the reason), or clear it."

  async run(): Promise<MarkResult> {
    const {clear, failed, success} = this.flags
    if (!clear && !failed && !success)
      throw new ExpError('say --success, --failed or --clear.', {
        code: 'USAGE',
        exit: EXIT.usage,
        suggestion: `exp mark ${this.args.name} --success --reason "why"`,
      })
    const ws = await this.workspace()
    const {markExperiment} = await import('../curate/mark.js')
    const result = await markExperiment(ws, {
      clear,
      dryRun: this.flags['dry-run'],
      name: this.args.name,
      now: this.clock,
      reason: this.flags.reason,
      verdict: success ? 'success' : failed ? 'failed' : undefined,
    })
    const would = result.dry_run ? 'Would mark' : 'Marked'
    if (result.action === 'marked')
      this.log(`${would} ${result.experiment} ${result.status}: notes.md gets "${result.notes_line}".`)
    else if (result.action === 'nothing-to-clear')
      this.log(`${result.experiment} has no verdict from exp mark; nothing to clear.`)
    else
      this.log(
        `${result.dry_run ? 'Would clear' : 'Cleared'} exp's verdict on ${result.experiment} (${result.removed_lines.length} notes.md line${result.removed_lines.length === 1 ? '' : 's'}); its reports decide again.`,
      )
    return result
  }
}

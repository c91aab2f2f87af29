import {adoptFlags} from '../command-flags/adopt.js'
import {BaseCommand} from '../base-command.js'
import type {AdoptResult} from '../curate/adopt.js'
import {EXIT} from '../errors.js'

export default class Adopt extends BaseCommand<typeof Adopt> {
  static description = `The migration path for configs that piled up in configs/: each file becomes
experiments/<date>-migration-<name>/config.yaml (moved, byte-identical) with a notes.md and a metadata.json that record
where it came from; its experiment is active, or stale when the file had not changed for classification.stale_days.
Refused: the base config, and configs with exp's provenance header unless --force. Every file is one journaled step:
killed at any instant, the next exp command finishes or rolls it back.`

  static examples = [
    "<%= config.bin %> adopt --pattern '*_experimental*' --dry-run",
    "<%= config.bin %> adopt --pattern '*_experimental*' --yes",
    '<%= config.bin %> adopt configs/train_burgers_32dim_test.yaml --dry-run',
  ]

  static flags = adoptFlags

  static strict = false

  static summary = 'Move leftover configs into dated migration experiments, with notes and provenance.'

  async run(): Promise<AdoptResult> {
    const ws = await this.workspace()
    const {adoptConfigs} = await import('../curate/adopt.js')
    const {adoptLine: line, adoptPlanLine, adoptSummaryLine} = await import('../curate/adopt-render.js')
    const options = {
      cwd: process.cwd(),
      date: this.flags.date,
      files: this.argvList,
      force: this.flags.force,
      now: this.clock,
      pattern: this.flags.pattern,
    }
    const plan = await adoptConfigs(ws, {...options, dryRun: true})
    const todo = plan.summary['would-adopt']
    if (this.flags['dry-run'] || todo === 0) {
      for (const i of plan.items) this.log(line(i))
      this.log(adoptPlanLine(todo))
      if (plan.summary.refused > 0) process.exitCode = EXIT.failure
      return plan
    }
    const files = `${todo} file${todo === 1 ? '' : 's'}`
    await this.confirmOrCancel({
      cancelled: 'cancelled; nothing was adopted.',
      list: plan.items.map((i) => line(i)).join('\n'),
      message: `Move ${files} into new experiments?`,
      needs: `adopting ${files}`,
      yes: this.flags.yes,
    })
    const result = await adoptConfigs(ws, {...options, onItem: (i) => this.log(line(i))})
    for (const r of result.recovered) this.note(r)
    this.log(adoptSummaryLine(result.summary))
    if (result.summary.failed + result.summary.refused > 0) process.exitCode = EXIT.failure
    return result
  }
}

import {BaseCommand} from '../base-command.js'
import {experimentArg} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'
import {promoteFlagRequest, promoteFlags} from '../promote-flags.js'
import type {RollbackResult} from '../promote/rollback.js'
import type {PromoteResult} from '../promote/service.js'

export default class Promote extends BaseCommand<typeof Promote> {
  static args = {
    name: experimentArg({
      description: 'Experiment (folder name, name without its date, or path). Without it: the candidates.',
    }),
  }

  static description = [
    'Checks first and writes nothing when a check fails: the experiment has config.yaml (valid YAML); its newest report with a verdict has gates_passed: true, no errors, and the metric as a finite number within the threshold; and it is classified success (a ✗ in notes.md or metadata.json, a newer failed run or a live run blocks it).',
    "The production file is train_<name without its date>.yaml in configs/ (or --production-dir), led by a provenance comment. An existing file with different content is replaced only with --force, and is then kept in .history/ first; --rollback puts the newest kept version back. The experiment's metadata.json gets a promotions entry and the leaderboard (promote.leaderboard in exp.yaml) a row.",
    'Without NAME: the experiments classified success that pass the gate and were never promoted (a sweep: its best passing variant), best first. On a terminal you pick them; without one, --yes promotes them all, and without it they are listed (exit 2).',
  ].join('\n\n')

  static examples = [
    '<%= config.bin %> promote test-64dim --threshold 0.1 --dry-run',
    '<%= config.bin %> promote test-64dim --config-name train_burgers.yaml --force --yes',
    '<%= config.bin %> promote --yes --threshold 0.1',
    '<%= config.bin %> promote --dry-run --json',
    '<%= config.bin %> promote --rollback train_test-64dim.yaml',
  ]

  static flags = promoteFlags

  static usage = [
    'promote [NAME] [--threshold X] [--metric M] [--direction min|max] [--config-name FILE] [--production-dir DIR] [--[no-]update-leaderboard] [--leaderboard-csv FILE] [--force] [--dry-run] [-y]',
    'promote --rollback FILE [--production-dir DIR] [--dry-run]',
  ]

  static summary = 'Promote a successful experiment config to production, checked against its gate, with a leaderboard.'

  async run(): Promise<PromoteResult | RollbackResult> {
    const ws = await this.workspace()
    const {args, flags} = this
    const [{promoteRequest}, {renderPromote}] = await Promise.all([
      import('../promote/request.js'),
      import('../promote/render.js'),
    ])
    const ask = isInteractive() && !this.jsonEnabled() ? (await import('../promote/prompts.js')).terminalAsk : undefined
    const outcome = await promoteRequest(ws, {
      ...promoteFlagRequest(flags),
      ask,
      cwd: process.cwd(),
      name: args.name,
      now: this.clock,
    })
    const {exit, lines, refusal} = renderPromote(outcome)
    for (const line of lines) this.log(line)
    if (refusal) throw refusal
    process.exitCode = exit
    return outcome.result
  }
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {dryRun, experimentArg, leaderboardCsv, thresholdFlag} from '../flags.js'
import {isInteractive} from '../lib/terminal.js'
import type {RollbackResult} from '../promote/rollback.js'
import type {PromoteResult} from '../promote/service.js'

const NOT_WITH_ROLLBACK = ['threshold', 'metric', 'direction', 'config-name', 'update-leaderboard', 'leaderboard-csv', 'yes', 'force']

export default class Promote extends BaseCommand<typeof Promote> {
  static args = {
    name: experimentArg({description: 'Experiment (folder name, name without its date, or path). Without it: the candidates.'}),
  }

  static description = [
    'Checks first and writes nothing when a check fails: the experiment has config.yaml (valid YAML); its newest report with a verdict has gates_passed: true, no errors, and the metric as a finite number within the threshold; and it is classified success (a ✗ in notes.md or metadata.json, a newer failed run or a live run blocks it).',
    'The production file is train_<name without its date>.yaml in configs/ (or --production-dir), led by a provenance comment. An existing file with different content is replaced only with --force, and is then kept in .history/ first; --rollback puts the newest kept version back. The experiment\'s metadata.json gets a promotions entry and the leaderboard (promote.leaderboard in exp.yaml) a row.',
    'Without NAME: the experiments classified success that pass the gate and were never promoted, best first. On a terminal you pick them; without one, --yes promotes them all, and without it they are listed (exit 2).',
  ].join('\n\n')

  static examples = [
    '<%= config.bin %> promote test-64dim --threshold 0.1 --dry-run',
    '<%= config.bin %> promote test-64dim --config-name train_burgers.yaml --force --yes',
    '<%= config.bin %> promote --yes --threshold 0.1',
    '<%= config.bin %> promote --dry-run --json',
    '<%= config.bin %> promote --rollback train_test-64dim.yaml',
  ]

  static flags = {
    'config-name': Flags.string({description: 'Production file name (default: train_<name without its date>.yaml). Needs NAME.'}),
    direction: Flags.string({description: 'Which way the metric is better (default: promote.direction in exp.yaml, min).', options: ['min', 'max']}),
    'dry-run': dryRun,
    force: Flags.boolean({description: 'Replace a production file with different content (the current version is kept in .history/).'}),
    'leaderboard-csv': leaderboardCsv,
    metric: Flags.string({description: 'The metric to gate and rank on (default: promote.metric in exp.yaml, final_nrmse).'}),
    'production-dir': Flags.string({description: 'Folder of production configs (default: promote.production_dir in exp.yaml, else configs/).'}),
    rollback: Flags.string({description: 'Put the newest kept version of this production file (a path, or a name in the production folder) back.', exclusive: NOT_WITH_ROLLBACK}),
    threshold: thresholdFlag('The metric must be ≤ this (≥ with direction max); default: promote.threshold in exp.yaml. Alias: --nrmse-threshold.'),
    'update-leaderboard': Flags.boolean({allowNo: true, default: true, description: 'Upsert the leaderboard row.'}),
    yes: Flags.boolean({aliases: ['auto-promote'], char: 'y', description: 'Do not ask: promote NAME, or every candidate without NAME (required without a terminal). Alias: --auto-promote.'}),
  }

  static usage = [
    'promote [NAME] [--threshold X] [--metric M] [--direction min|max] [--config-name FILE] [--production-dir DIR] [--[no-]update-leaderboard] [--leaderboard-csv FILE] [--force] [--dry-run] [-y]',
    'promote --rollback FILE [--production-dir DIR] [--dry-run]',
  ]

  static summary = 'Promote a successful experiment config to production, checked against its gate, with a leaderboard.'

  async run(): Promise<PromoteResult | RollbackResult> {
    const ws = await this.workspace()
    const {args, flags} = this
    const [{promoteRequest}, {renderPromote}] = await Promise.all([import('../promote/request.js'), import('../promote/render.js')])
    const ask = isInteractive() && !this.jsonEnabled() ? (await import('../promote/prompts.js')).terminalAsk : undefined
    const outcome = await promoteRequest(ws, {
      ask,
      configName: flags['config-name'],
      cwd: process.cwd(),
      direction: flags.direction,
      dryRun: flags['dry-run'],
      force: flags.force,
      leaderboardCsv: flags['leaderboard-csv'],
      metric: flags.metric,
      name: args.name,
      now: this.clock,
      productionDir: flags['production-dir'],
      rollback: flags.rollback,
      threshold: flags.threshold,
      updateLeaderboard: flags['update-leaderboard'],
      yes: flags.yes,
    })
    const {exit, lines, refusal} = renderPromote(outcome)
    for (const line of lines) this.log(line)
    if (refusal) throw refusal
    process.exitCode = exit
    return outcome.result
  }
}

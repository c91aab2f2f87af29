import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {BaseCommand} from '../base-command.js'
import {EXIT, ExpError} from '../errors.js'
import {dryRun, leaderboardCsv, numberFlag} from '../flags.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {isInteractive} from '../lib/terminal.js'
import type {Direction} from '../promote/gate.js'
import type {PromotionOutcome} from '../promote/promote.js'
import type {RollbackResult} from '../promote/rollback.js'
import type {PromoteResult} from '../promote/service.js'

const NOT_WITH_ROLLBACK = ['threshold', 'nrmse-threshold', 'metric', 'direction', 'config-name', 'update-leaderboard', 'leaderboard-csv', 'auto-promote', 'force']

export default class Promote extends BaseCommand<typeof Promote> {
  static args = {
    name: Args.string({description: 'Experiment: full directory name, or the name without its date when unique. Without it: the candidates.'}),
  }

  static description = [
    'Checks first and writes nothing when a check fails: the experiment has config.yaml (valid YAML); its newest report with a verdict has gates_passed: true, no errors, and the metric as a finite number within the threshold; and it is classified success (a ✗ in notes.md or metadata.json, a newer failed run or a live run blocks it).',
    'The production file is train_<name without its date>.yaml in configs/ (or --production-dir), led by a provenance comment. An existing file with different content is replaced only with --force, and is then kept in .history/ first; --rollback puts the newest kept version back. The experiment\'s metadata.json gets a promotions entry and the leaderboard (promote.leaderboard in exp.yaml) a row.',
    'Without NAME: the experiments classified success that pass the gate and were never promoted, best first. On a terminal you pick them; without one, --auto-promote promotes them all, and without it they are listed (exit 2).',
  ].join('\n\n')

  static examples = [
    '<%= config.bin %> promote test-64dim --nrmse-threshold 0.1',
    '<%= config.bin %> promote 2025-01-22-test-64dim --config-name train_burgers.yaml --force --auto-promote',
    '<%= config.bin %> promote --auto-promote --threshold 0.1',
    '<%= config.bin %> promote --dry-run --json',
    '<%= config.bin %> promote --rollback train_test-64dim.yaml',
  ]

  static flags = {
    'auto-promote': Flags.boolean({description: 'Do not ask: promote NAME, or every candidate without NAME (required without a terminal).'}),
    'config-name': Flags.string({description: 'Production file name (default: train_<name without its date>.yaml). Needs NAME.'}),
    direction: Flags.string({description: 'Which way the metric is better (default: promote.direction in exp.yaml, min).', options: ['min', 'max']}),
    'dry-run': dryRun,
    force: Flags.boolean({description: 'Replace a production file with different content (the current version is kept in .history/).'}),
    'leaderboard-csv': leaderboardCsv,
    metric: Flags.string({description: 'The metric to gate and rank on (default: promote.metric in exp.yaml, final_nrmse).'}),
    'nrmse-threshold': numberFlag({description: 'The NRMSE spelling of --threshold.', exclusive: ['threshold']}),
    'production-dir': Flags.string({description: 'Folder of production configs (default: promote.production_dir in exp.yaml, else configs/).'}),
    rollback: Flags.string({description: 'Put the newest kept version of this production file (a path, or a name in the production folder) back.', exclusive: NOT_WITH_ROLLBACK}),
    threshold: numberFlag({description: 'The metric must be ≤ this (≥ with direction max); default: promote.threshold in exp.yaml.', exclusive: ['nrmse-threshold']}),
    'update-leaderboard': Flags.boolean({allowNo: true, default: true, description: 'Upsert the leaderboard row.'}),
  }

  static summary = 'Promote a successful experiment config to production, checked against its gate, with a leaderboard.'

  async run(): Promise<PromoteResult | RollbackResult> {
    const ws = await this.workspace()
    const {args, flags} = this
    const cwd = process.cwd()
    const productionDir = flags['production-dir'] ? path.resolve(cwd, flags['production-dir']) : path.resolve(ws.root, ws.settings.promote.production_dir ?? ws.paths.configs)
    if (flags.rollback !== undefined) {
      if (args.name) throw new ExpError('--rollback takes a production file, not an experiment NAME.', {code: 'USAGE', exit: EXIT.usage, suggestion: `exp promote --rollback ${flags.rollback}`})
      const {rollbackProduction} = await import('../promote/rollback.js')
      const result = await rollbackProduction(ws, {cwd, dryRun: flags['dry-run'], file: flags.rollback, now: this.clock, productionDir})
      this.log(`${result.written ? 'Restored' : 'Would restore'} ${result.target} from ${result.restored}${result.kept_current_as ? `; the replaced version is kept as ${result.kept_current_as}` : ''}.`)
      if (result.experiment) this.log(`  undoes the promotion of ${result.experiment}${result.written && !result.metadata_marked ? ' (its metadata.json has no matching entry)' : ''}${result.leaderboard ? `; its row is removed from ${result.leaderboard}` : ''}`)
      return result
    }
    if (flags['config-name'] !== undefined && !args.name) throw new ExpError('--config-name needs an experiment NAME.', {code: 'USAGE', exit: EXIT.usage})
    const [{leaderboardPath}, {promote}] = await Promise.all([import('../leaderboard/leaderboard.js'), import('../promote/service.js')])
    const ask = isInteractive() && !this.jsonEnabled() ? (await import('../promote/prompts.js')).terminalAsk : undefined
    const spec = {
      direction: (flags.direction as Direction | undefined) ?? ws.settings.promote.direction,
      metric: flags.metric ?? ws.settings.promote.metric,
      threshold: flags.threshold ?? flags['nrmse-threshold'] ?? ws.settings.promote.threshold,
    }
    const result = await promote(ws, {
      ask,
      autoPromote: flags['auto-promote'],
      dryRun: flags['dry-run'],
      force: flags.force,
      leaderboard: flags['update-leaderboard'] ? leaderboardPath(ws, flags['leaderboard-csv'], cwd, spec) : null,
      leaderboardSource: flags['leaderboard-csv'] === undefined ? 'promote.leaderboard' : '--leaderboard-csv',
      name: args.name,
      now: this.clock,
      spec,
      target: {configName: flags['config-name'], productionDir},
    })
    this.render(result)
    return result
  }

  private render(result: PromoteResult): void {
    if (result.candidates) {
      if (result.candidates.length === 0) this.log('No candidates: no experiment classified success passes the gate without having been promoted.')
      else this.log(candidateTable(result.candidates))
    }
    if (result.needs_choice) {
      throw new ExpError(`${result.candidates!.length} candidate(s) and no terminal to pick them on; nothing was promoted.`, {
        code: 'NEEDS_CHOICE',
        exit: EXIT.usage,
        suggestion: 'exp promote --auto-promote (promotes them all), or exp promote NAME --auto-promote',
      })
    }
    if (result.candidates && result.promotions.length > 0) this.log('')
    for (const p of result.promotions) this.log(p.message)
    const leaderboard = result.promotions.find((p) => p.written && p.leaderboard)?.leaderboard
    if (leaderboard) this.log(`Leaderboard: ${leaderboard}`)
    if (result.candidates && result.promotions.some((p) => p.action === 'refused')) process.exitCode = EXIT.failure
  }
}

function candidateTable(candidates: PromotionOutcome[]): string {
  const metric = candidates[0].metric
  const state = (p: PromotionOutcome) => ({create: 'new file', refused: 'exists, different: needs --force', repaired: 'identical: record repaired', replace: 'replace (--force)', skipped: 'skipped', unchanged: 'identical: no-op'})[p.action]
  return renderTable(
    ['#', 'experiment', metric, 'target', 'target state'],
    candidates.map((p, i) => [String(i + 1), p.experiment, formatNumber(p.value), p.target, state(p)]),
  )
}

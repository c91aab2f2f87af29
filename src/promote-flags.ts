import {Flags, type Interfaces} from '@oclif/core'

import {dryRun, leaderboardCsv, thresholdFlag} from './flags.js'
import type {PromoteRequest} from './promote/request.js'

const NOT_WITH_ROLLBACK = [
  'threshold',
  'metric',
  'direction',
  'config-name',
  'update-leaderboard',
  'leaderboard-csv',
  'yes',
  'force',
]

/** `exp promote`'s flags (kept apart so the command stays parse → service → render). */
export const promoteFlags = {
  'config-name': Flags.string({
    description: 'Production file name (default: train_<name without its date>.yaml). Needs NAME.',
  }),
  direction: Flags.string({
    description: 'Which way the metric is better (default: promote.direction in exp.yaml, min).',
    options: ['min', 'max'],
  }),
  'dry-run': dryRun,
  force: Flags.boolean({
    description: 'Replace a production file with different content (the current version is kept in .history/).',
  }),
  'leaderboard-csv': leaderboardCsv,
  metric: Flags.string({
    description: 'The metric to gate and rank on (default: promote.metric in exp.yaml, final_nrmse).',
  }),
  'production-dir': Flags.string({
    description: 'Folder of production configs (default: promote.production_dir in exp.yaml, else configs/).',
  }),
  rollback: Flags.string({
    description:
      'Put the newest kept version of this production file (a path, or a name in the production folder) back.',
    exclusive: NOT_WITH_ROLLBACK,
  }),
  threshold: thresholdFlag(
    'The metric must be ≤ this (≥ with direction max); default: promote.threshold in exp.yaml. Alias: --nrmse-threshold.',
  ),
  'update-leaderboard': Flags.boolean({allowNo: true, default: true, description: 'Upsert the leaderboard row.'}),
  yes: Flags.boolean({
    aliases: ['auto-promote'],
    char: 'y',
    description:
      'Do not ask: promote NAME, or every candidate without NAME (required without a terminal). Alias: --auto-promote.',
  }),
}

type FlagRequest = Omit<PromoteRequest, 'ask' | 'cwd' | 'name' | 'now'>

/** The parsed flags as the promote service takes them (undefined: not given, so exp.yaml's default applies). */
export function promoteFlagRequest(f: Interfaces.InferredFlags<typeof promoteFlags>): FlagRequest {
  return {
    configName: f['config-name'],
    direction: f.direction,
    dryRun: f['dry-run'],
    force: f.force,
    leaderboardCsv: f['leaderboard-csv'],
    metric: f.metric,
    productionDir: f['production-dir'],
    rollback: f.rollback,
    threshold: f.threshold,
    updateLeaderboard: f['update-leaderboard'],
    yes: f.yes,
  }
}

import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import type {Direction} from './gate.js'
import type {RollbackResult} from './rollback.js'
import type {PromoteAsk, PromoteResult} from './service.js'

/** `exp promote`'s flags as the command parsed them (undefined: not given, so exp.yaml's default applies). */
export interface PromoteRequest {
  ask?: PromoteAsk
  configName?: string
  cwd: string
  direction?: string
  dryRun: boolean
  force: boolean
  leaderboardCsv?: string
  metric?: string
  name?: string
  now: Clock
  productionDir?: string
  rollback?: string
  threshold?: number
  updateLeaderboard: boolean
  yes: boolean
}

export type PromoteCommandResult = {kind: 'promote'; result: PromoteResult} | {kind: 'rollback'; result: RollbackResult}

/** The command's defaults (exp.yaml's promote section) resolved, then a rollback or a promotion. */
export async function promoteRequest(ws: Workspace, r: PromoteRequest): Promise<PromoteCommandResult> {
  const productionDir = r.productionDir
    ? path.resolve(r.cwd, r.productionDir)
    : path.resolve(ws.root, ws.settings.promote.production_dir ?? ws.paths.configs)
  if (r.rollback !== undefined) {
    if (r.name)
      throw new ExpError('--rollback takes a production file, not an experiment NAME.', {
        code: 'USAGE',
        exit: EXIT.usage,
        suggestion: `exp promote --rollback ${r.rollback}`,
      })
    const {rollbackProduction} = await import('./rollback.js')
    return {
      kind: 'rollback',
      result: await rollbackProduction(ws, {cwd: r.cwd, dryRun: r.dryRun, file: r.rollback, now: r.now, productionDir}),
    }
  }
  if (r.configName !== undefined && !r.name)
    throw new ExpError('--config-name needs an experiment NAME.', {code: 'USAGE', exit: EXIT.usage})
  const [{leaderboardPath}, {promote}] = await Promise.all([
    import('../leaderboard/leaderboard.js'),
    import('./service.js'),
  ])
  const spec = {
    direction: (r.direction as Direction | undefined) ?? ws.settings.promote.direction,
    metric: r.metric ?? ws.settings.promote.metric,
    threshold: r.threshold ?? ws.settings.promote.threshold,
  }
  const result = await promote(ws, {
    ask: r.ask,
    autoPromote: r.yes,
    dryRun: r.dryRun,
    force: r.force,
    leaderboard: r.updateLeaderboard ? leaderboardPath(ws, r.leaderboardCsv, r.cwd, spec) : null,
    leaderboardSource: r.leaderboardCsv === undefined ? 'promote.leaderboard' : '--leaderboard-csv',
    name: r.name,
    now: r.now,
    spec,
    target: {configName: r.configName, productionDir},
  })
  return {kind: 'promote', result}
}

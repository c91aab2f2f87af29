import path from 'node:path'

import type {Clock} from '../lib/time.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import type {Direction} from '../reports/metric.js'
import {HISTORY_DIR, type PromotionPlan} from './plan.js'

export type PromotionAction = 'create' | 'replace' | 'unchanged' | 'repaired' | 'refused' | 'skipped'

export interface PromotionOutcome {
  experiment: string
  action: PromotionAction
  /** false under --dry-run, and when refused, skipped or unchanged */
  written: boolean
  /** one line for a person */
  message: string
  source: string
  target: string
  metric: string
  value: number
  threshold: number | null
  direction: Direction
  gate: string
  report: string
  config_sha256: string
  /** where the replaced version was kept (workspace-relative), with --force */
  history: string | null
  /** the leaderboard updated (workspace-relative), or null */
  leaderboard: string | null
}

export interface ExecuteOptions {
  force: boolean
  /** absolute leaderboard file, or null to leave it alone */
  leaderboard: string | null
  now: Clock
}

/** The outcome a plan would have, without writing (dry run), from the target state seen while planning. */
export function describePlan(
  ws: Workspace,
  plan: PromotionPlan,
  options: Pick<ExecuteOptions, 'force' | 'leaderboard'>,
  dryRun: boolean,
): PromotionOutcome {
  const action: PromotionAction =
    plan.target_state === 'absent'
      ? 'create'
      : plan.target_state === 'identical'
        ? 'unchanged'
        : options.force
          ? 'replace'
          : 'refused'
  const message =
    action === 'refused'
      ? conflictMessage(ws, plan)
      : action === 'unchanged'
        ? unchangedMessage(ws, plan)
        : `${dryRun ? 'Would promote' : 'Promote'} ${summary(ws, plan)}`
  return outcome(
    ws,
    plan,
    action,
    false,
    message,
    action === 'replace' ? relativeToRoot(ws, path.join(path.dirname(plan.target), HISTORY_DIR)) + '/' : null,
    options.leaderboard,
  )
}

export function summary(ws: Workspace, plan: PromotionPlan): string {
  return `${plan.experiment} → ${relativeToRoot(ws, plan.target)} (${plan.gate}, from ${relativeToRoot(ws, plan.source)})`
}

export function conflictMessage(ws: Workspace, plan: PromotionPlan): string {
  const target = relativeToRoot(ws, plan.target)
  return `${target} exists with different content; ${plan.experiment} replaces it only with --force (the current version is then kept in ${relativeToRoot(ws, path.join(path.dirname(plan.target), HISTORY_DIR))}/).`
}

export function unchangedMessage(ws: Workspace, plan: PromotionPlan): string {
  return `${relativeToRoot(ws, plan.target)} already holds the config of ${plan.experiment} (identical content); nothing to do.`
}

export function outcome(
  ws: Workspace,
  plan: PromotionPlan,
  action: PromotionAction,
  written: boolean,
  message: string,
  history: string | null,
  leaderboard: string | null,
): PromotionOutcome {
  return {
    action,
    config_sha256: plan.config_sha256,
    direction: plan.direction,
    experiment: plan.experiment,
    gate: plan.gate,
    history,
    leaderboard: leaderboard === null ? null : relativeToRoot(ws, leaderboard),
    message,
    metric: plan.metric,
    report: plan.report,
    source: relativeToRoot(ws, plan.source),
    target: relativeToRoot(ws, plan.target),
    threshold: plan.threshold,
    value: plan.value,
    written,
  }
}

import {isExpError, messageOf} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import type {Workspace} from '../workspace/workspace.js'
import {compareMetric} from '../reports/metric.js'
import type {GateSpec} from './gate.js'
import type {Assessment} from './plan.js'
import {assess, type PromotionPlan, type TargetOptions} from './promote.js'

export interface CandidateSearch {
  spec: GateSpec
  target: TargetOptions
  now: Clock
}

/** An experiment left out of the candidates, and why (shown with --json, so "why is X not offered?" has an answer). */
export interface NotCandidate {
  experiment: string
  reason: string
}

/**
 * `exp promote` without NAME: the experiments in experiments/ classified success (on the same path as `exp list`)
 * that pass the gate and have never been promoted (no `promotions` entry in metadata.json, rolled back or not: a
 * promotion someone undid is not offered again), best metric first. A sweep is offered as its best passing variant,
 * what `exp promote EXP` would promote.
 */
export async function findCandidates(
  ws: Workspace,
  options: CandidateSearch,
): Promise<{candidates: PromotionPlan[]; excluded: NotCandidate[]}> {
  const items = await classifyWorkspace(ws, {location: 'experiments', now: options.now})
  const candidates: PromotionPlan[] = []
  const excluded: NotCandidate[] = []
  for (const item of items) {
    const {classification, snapshot: s} = item
    if (classification.status !== 'success') continue
    const promotions = s.metadata?.promotions
    if (Array.isArray(promotions) && promotions.length > 0) {
      excluded.push({experiment: s.name, reason: 'already promoted (metadata.json promotions)'})
      continue
    }
    const result = s.variants
      ? await assessSweep(ws, item, options)
      : await assess(ws, item, options.spec, options.target)
    if (result.ok) candidates.push(result.plan)
    else excluded.push({experiment: s.name, reason: result.reason})
  }
  candidates.sort(
    (a, b) => compareMetric(options.spec.direction, a.value, b.value) || a.experiment.localeCompare(b.experiment),
  )
  return {candidates, excluded}
}

/** A sweep as a candidate: its best variant that passes (planSweepPromotion), or why none can be promoted. */
async function assessSweep(ws: Workspace, item: Classified, options: CandidateSearch): Promise<Assessment> {
  const {planSweepPromotion} = await import('./sweep.js')
  try {
    const plan = await planSweepPromotion(item, undefined, options.spec.direction, (variant) =>
      assess(ws, variant, options.spec, options.target),
    )
    return {ok: true, plan}
  } catch (error) {
    if (!isExpError(error)) throw error
    return {code: error.code, ok: false, reason: messageOf(error)}
  }
}

/**
 * Two chosen experiments can map to one production file (the same name on two dates). Only the better one (the
 * first: plans come best first) goes there; the others are set aside with the reason.
 */
export function onePerTarget(plans: PromotionPlan[]): {
  kept: PromotionPlan[]
  clashes: Array<{plan: PromotionPlan; winner: PromotionPlan}>
} {
  const byTarget = new Map<string, PromotionPlan>()
  const kept: PromotionPlan[] = []
  const clashes: Array<{plan: PromotionPlan; winner: PromotionPlan}> = []
  for (const plan of plans) {
    const winner = byTarget.get(plan.target)
    if (winner) clashes.push({plan, winner})
    else {
      byTarget.set(plan.target, plan)
      kept.push(plan)
    }
  }
  return {clashes, kept}
}

import {ExpError} from '../errors.js'
import type {Classified} from '../experiments/listing.js'
import {variantItem, variantParams} from '../experiments/variants.js'
import {compareMetric, type Direction} from '../reports/metric.js'
import type {Assessment, PromotionPlan} from './plan.js'

/**
 * Promoting a sweep: `EXP/V` promotes that variant; `EXP` the best of its variants that pass the gate and are
 * classified success, by promote.metric/direction. The production file is `train_<slug>_<variant>.yaml`, the
 * promotion is recorded in the experiment's metadata.json, and the leaderboard row carries the variant's parameters.
 */
export async function planSweepPromotion(
  whole: Classified,
  variant: string | undefined,
  direction: Direction,
  assess: (item: Classified) => Promise<Assessment>,
): Promise<PromotionPlan> {
  const names = variant ? [variant] : whole.snapshot.variants!.map((v) => v.name)
  const assessed = await Promise.all(
    names.map(async (name) => ({assessment: await assess(variantItem(whole, name)), name})),
  )
  const passing = assessed
    .filter((a) => a.assessment.ok)
    .map((a) => ({name: a.name, plan: (a.assessment as {plan: PromotionPlan}).plan}))
  if (passing.length === 0) {
    const first = assessed[0].assessment as {code: string; reason: string}
    const what = variant
      ? first.reason
      : `${whole.snapshot.name} is a sweep and none of its ${names.length} variants can be promoted (first: ${first.reason})`
    throw new ExpError(what, {code: first.code})
  }
  const best = passing.sort((a, b) => compareMetric(direction, a.plan.value, b.plan.value))[0]
  return {...best.plan, dir: whole.snapshot.dir, params: variantParams(whole.snapshot, best.name)}
}

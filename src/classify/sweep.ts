import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {formatNumber} from '../lib/table.js'
import {metricValue, type Report} from '../reports/report.js'
import type {Classification, ClassifyOptions, VariantClassification} from './types.js'

export type {VariantClassification} from './types.js'

export interface SweepClassifyInput {
  /** the experiment judged on its own files (its runs, notes, metadata, reports), without its variants */
  own: Classification
  variants: VariantClassification[]
  options: ClassifyOptions
}

/**
 * A sweep's status from its variants (pure). Precedence: the experiment's own live run or a person's verdict on it
 * (metadata.json, notes.md) wins; else any variant running → active; else any variant passed → success, naming the
 * best by promote.metric/direction; else every variant failed → failed; else the experiment's own evidence and age.
 */
export function aggregateSweep({options, own, variants}: SweepClassifyInput): Classification {
  const withVariants = (c: Classification): Classification => ({...c, variants})
  if (own.rule === 'live-run' || own.rule === 'metadata' || own.rule === 'notes') return withVariants(own)
  const n = variants.length
  const running = variants.filter((v) => v.classification.rule === 'live-run')
  if (running.length > 0) {
    return withVariants({
      reason: `${running.length}/${n} variants running (${running.map((v) => v.name).join(', ')})`,
      rule: 'variants',
      source: `${running[0].name}/${running[0].classification.source}`,
      status: 'active',
    })
  }
  const passed = variants.filter((v) => v.classification.status === 'success')
  if (passed.length > 0) {
    const best = bestVariant(passed, options.direction ?? 'min')
    const metric = best.metric === undefined ? '' : `, ${options.metric ?? 'metric'} ${formatNumber(best.metric)}`
    return withVariants({
      reason: `${passed.length}/${n} variants passed; best ${best.name}${metric}`,
      rule: 'variants',
      source: `${best.name}/${best.classification.source}`,
      status: 'success',
    })
  }
  const failed = variants.filter((v) => v.classification.status === 'failed')
  if (n > 0 && failed.length === n) {
    return withVariants({
      reason: `all ${n} variants failed (${failed[0].name}: ${failed[0].classification.reason})`,
      rule: 'variants',
      source: `${failed[0].name}/${failed[0].classification.source}`,
      status: 'failed',
    })
  }
  const pending = n - failed.length
  const prefix =
    failed.length > 0
      ? `${failed.length}/${n} variants failed, ${pending} without a verdict; `
      : `${n} variants, none with a verdict; `
  return withVariants({...own, reason: prefix + own.reason})
}

/** The best of some variants by their metric (those without one last; ties keep sweep order). */
export function bestVariant<T extends {metric?: number}>(items: T[], direction: 'min' | 'max'): T {
  const score = (v: T) =>
    v.metric === undefined ? Number.POSITIVE_INFINITY : direction === 'min' ? v.metric : -v.metric
  return items.reduce((best, v) => (score(v) < score(best) ? v : best))
}

export function variantMetric(
  snap: ExperimentSnapshot,
  metric: string | undefined,
  newest: (s: ExperimentSnapshot) => Report | undefined,
): number | undefined {
  if (!metric) return undefined
  const value = metricValue(newest(snap), metric)
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

import type {Classification, Status} from '../classify/classify.js'
import {formatValue} from '../lib/format-value.js'
import {formatNumber, renderTable} from '../lib/table.js'
import type {Classified} from './classified.js'
import type {SweepVariant} from '../sweeps/record.js'
import type {ExperimentSnapshot} from './snapshot.js'

/** One variant of a sweep as `exp list --variants` prints it (and returns it under --json). */
export interface ListedVariant {
  name: string
  experiment: string
  variant: string
  status: Status
  reason: string
  rule: Classification['rule']
  params: Record<string, unknown>
  metric: {name: string; value: number} | null
  runs: number
  reports: number
}

/** The variants of the classified sweeps, in sweep order; the parameters are the sweep's varying ones. */
export function listedVariants(items: Classified[], metric: string): ListedVariant[] {
  const out: ListedVariant[] = []
  for (const {classification, snapshot: s} of items) {
    const records = new Map(s.sweep?.variants.map((v) => [v.name, v]))
    for (const [i, v] of (classification.variants ?? []).entries()) {
      const snap = s.variants![i]
      out.push({
        experiment: s.name,
        metric: v.metric === undefined ? null : {name: metric, value: v.metric},
        name: `${s.name}/${v.name}`,
        params: variantParams(s, v.name, records),
        reason: v.classification.reason,
        reports: snap.reports.length,
        rule: v.classification.rule,
        runs: snap.runs.length,
        status: v.classification.status,
        variant: v.name,
      })
    }
  }
  return out
}

/** A variant's values of the sweep's varying parameters (from sweep.yaml). */
export function variantParams(s: ExperimentSnapshot, variant: string, records?: Map<string, SweepVariant>): Record<string, unknown> {
  const record = records ? records.get(variant) : s.sweep?.variants.find((v) => v.name === variant)
  const keys = s.sweep?.naming?.varying ?? Object.keys(record?.params ?? {})
  return Object.fromEntries(keys.map((k) => [k, record?.params[k]]))
}

export function renderVariantTable(variants: ListedVariant[], metric: string): string {
  const keys = [...new Set(variants.flatMap((v) => Object.keys(v.params)))]
  return renderTable(
    ['variant', 'status', ...keys, metric, 'reason'],
    variants.map((v) => [v.name, v.status, ...keys.map((k) => (k in v.params ? formatValue(v.params[k]) : undefined)), v.metric ? formatNumber(v.metric.value) : undefined, v.reason]),
  )
}

/** One variant of a classified sweep, named `EXP/VARIANT`, as an item of its own (what show, promote and compare use). */
export function variantItem(whole: Classified, variant: string): Classified {
  const i = whole.snapshot.variants!.findIndex((v) => v.name === variant)
  const snapshot = {...whole.snapshot.variants![i], name: `${whole.snapshot.name}/${variant}`}
  return {classification: whole.classification.variants![i].classification, snapshot}
}

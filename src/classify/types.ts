export const STATUSES = ['active', 'success', 'failed', 'stale'] as const
export type Status = (typeof STATUSES)[number]

export type Rule = 'live-run' | 'metadata' | 'notes' | 'report' | 'run' | 'archive' | 'age' | 'variants'

export interface Classification {
  status: Status
  /** which rule decided */
  rule: Rule
  /** one sentence: what decided it */
  reason: string
  /** the file that decided it, relative to the experiment directory when inside it */
  source?: string
  field?: string
  /** a sweep: each variant's own classification (see classify/sweep.ts) */
  variants?: VariantClassification[]
}

export interface ClassifyOptions {
  now: Date
  staleDays: number
  /** promote.metric and direction: which passing variant of a sweep is best */
  metric?: string
  direction?: 'min' | 'max'
  /** the workspace root: paths in reasons are given from it (else from the experiment) */
  root?: string
}

/** One variant's verdict, as the sweep's aggregate and `exp list --variants` see it. */
export interface VariantClassification {
  name: string
  classification: Classification
  /** promote.metric from its newest report, when numeric */
  metric?: number
}

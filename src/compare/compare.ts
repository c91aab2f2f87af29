import {flattenConfig} from '../config/config-file.js'
import type {Direction} from '../reports/metric.js'
import type {Workspace} from '../workspace/workspace.js'
import {resolveSubjects, type ResolveOptions, type Subject, type SubjectKind} from './subjects.js'

/**
 * `exp compare`: several subjects (experiments, variants, runs, config files) as rows; as columns the config keys
 * that vary among them (or those asked for) and their metrics; rows best first by one metric. The one
 * implementation of comparing: a sweep's variants are compared by passing them as subjects.
 */
export interface CompareOptions extends ResolveOptions {
  subjects: string[]
  /** config keys to show (a key also selects everything under it: `model` → model.*); default: the keys that vary */
  params?: string[]
  /** metrics to show; default: the sort metric, then every other numeric metric of any row */
  metrics?: string[]
  /** the metric rows are ranked by; default promote.metric */
  sort?: string
  /** default: promote.direction when sorting by promote.metric, else min */
  direction?: Direction
}

export interface CompareRow {
  /** 1 = best; null when the row has no value for the sort metric (listed last) */
  rank: number | null
  subject: string
  kind: SubjectKind
  status: string | null
  config_path: string
  report: string | null
  /** every column key; null when the subject's config does not have it */
  params: Record<string, unknown>
  /** every metric column; null when its report does not have it */
  metrics: Record<string, number | null>
}

export interface CompareResult {
  sort: {metric: string; direction: Direction}
  params: string[]
  metrics: string[]
  rows: CompareRow[]
}

export async function compareSubjects(ws: Workspace, options: CompareOptions): Promise<CompareResult> {
  const subjects = await resolveSubjects(ws, options.subjects, options)
  const metric = options.sort ?? ws.settings.promote.metric
  const direction = options.direction ?? (metric === ws.settings.promote.metric ? ws.settings.promote.direction : 'min')
  return buildComparison(subjects, {direction, metric}, options)
}

/** Rows and columns from resolved subjects (pure). */
export function buildComparison(
  subjects: Subject[],
  sort: CompareResult['sort'],
  options: Pick<CompareOptions, 'params' | 'metrics'>,
): CompareResult {
  const flat = subjects.map((s) => flattenConfig(s.config))
  const allKeys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort()
  const params = options.params?.length
    ? allKeys.filter((k) => options.params!.some((p) => k === p || k.startsWith(`${p}.`)))
    : allKeys.filter((k) => varies(flat, k))
  for (const p of options.params ?? []) if (!params.some((k) => k === p || k.startsWith(`${p}.`))) params.push(p) // asked for, absent everywhere
  const others = [...new Set(subjects.flatMap((s) => Object.keys(s.metrics)))].filter((m) => m !== sort.metric).sort()
  const metrics = options.metrics?.length ? options.metrics : [sort.metric, ...others]
  const sign = sort.direction === 'min' ? 1 : -1
  const rows = subjects
    .map((s, i) => ({flat: flat[i], s, value: s.metrics[sort.metric]}))
    .sort((a, b) => {
      const av = a.value
      const bv = b.value
      if (av === undefined || bv === undefined)
        return av === bv ? a.s.label.localeCompare(b.s.label) : av === undefined ? 1 : -1
      return sign * (av - bv) || a.s.label.localeCompare(b.s.label)
    })
    .map(({flat: f, s, value}, i): CompareRow => ({
      config_path: s.config_path,
      kind: s.kind,
      metrics: Object.fromEntries(metrics.map((m) => [m, s.metrics[m] ?? null])),
      params: Object.fromEntries(params.map((k) => [k, f.has(k) ? f.get(k) : null])),
      rank: value === undefined ? null : i + 1,
      report: s.report,
      status: s.status,
      subject: s.label,
    }))
  return {metrics, params, rows, sort}
}

function varies(flat: Array<Map<string, unknown>>, key: string): boolean {
  const seen = new Set(flat.map((f) => (f.has(key) ? JSON.stringify(f.get(key)) : '\u0000absent')))
  return seen.size > 1
}

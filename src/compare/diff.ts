import {flattenConfig} from '../config/config-file.js'
import type {Workspace} from '../workspace/workspace.js'
import {resolveSubjects, type ResolveOptions, type Subject} from './subjects.js'

/**
 * `exp diff A B`: the config keys whose values differ (flattened, typed; lists compared as values; a key on one side
 * only is a difference), then the metrics of each side that has a report.
 */
export interface DiffOptions extends ResolveOptions {
  a: string
  b: string
}

export interface DiffSide {
  subject: string
  kind: Subject['kind']
  status: string | null
  config_path: string
  report: string | null
  metrics: Record<string, number>
}

export interface DiffEntry {
  key: string
  /** the value on each side; null when `in` says the key is absent there */
  a: unknown
  b: unknown
  /** where the key exists: both sides (values differ), or only one */
  in: 'both' | 'a' | 'b'
}

export interface DiffResult {
  a: DiffSide
  b: DiffSide
  identical: boolean
  differences: DiffEntry[]
  /** the metric names shown: promote.metric first, then the others either side has */
  metrics: string[]
}

export async function diffSubjects(ws: Workspace, options: DiffOptions): Promise<DiffResult> {
  const [a, b] = await resolveSubjects(ws, [options.a, options.b], options)
  const differences = diffFlat(flattenConfig(a.config), flattenConfig(b.config))
  const main = ws.settings.promote.metric
  const others = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].filter((m) => m !== main).sort()
  const metrics = a.report || b.report ? [main, ...others] : []
  return {a: side(a), b: side(b), differences, identical: differences.length === 0, metrics}
}

export function diffFlat(a: Map<string, unknown>, b: Map<string, unknown>): DiffEntry[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort()
  const out: DiffEntry[] = []
  for (const key of keys) {
    const inA = a.has(key)
    const inB = b.has(key)
    if (inA && inB && JSON.stringify(a.get(key)) === JSON.stringify(b.get(key))) continue
    out.push({a: inA ? a.get(key) : null, b: inB ? b.get(key) : null, in: inA && inB ? 'both' : inA ? 'a' : 'b', key})
  }
  return out
}

function side(s: Subject): DiffSide {
  return {
    config_path: s.config_path,
    kind: s.kind,
    metrics: s.metrics,
    report: s.report,
    status: s.status,
    subject: s.label,
  }
}

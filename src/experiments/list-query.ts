import {readFileSync} from 'node:fs'
import path from 'node:path'

import {newestReport} from '../classify/classify.js'
import {parseConfigText} from '../config/config-file.js'
import {EXIT, ExpError} from '../errors.js'
import {numericMetrics} from '../reports/report.js'
import type {Classified} from './classified.js'
import {CONFIG_FILE} from './scan.js'

/** `exp list` for daily use: config columns, a sort, a limit and simple conditions. */
export interface ListQuery {
  /** config keys (dotted) shown as columns and returned as `params` */
  params?: string[]
  /** a column, a metric or a config key; `-` first for descending */
  sort?: string
  limit?: number
  /** `FIELD OP VALUE`, OP one of < <= > >= = == != (all must hold) */
  where?: string[]
}

export interface Condition {
  field: string
  op: '<' | '<=' | '>' | '>=' | '=' | '!='
  value: string
}

/** The listed columns a field may name (besides metrics and config keys). */
const COLUMNS = ['name', 'slug', 'date', 'status', 'state', 'location', 'last_activity', 'idle_ms', 'reports', 'runs', 'variants'] as const

export function parseCondition(text: string): Condition {
  const match = /^\s*([\w.\-/]+)\s*(<=|>=|!=|==|=|<|>)\s*(.*?)\s*$/.exec(text)
  if (!match || match[3] === '') {
    throw new ExpError(`invalid --where "${text}": expected FIELD OP VALUE, e.g. 'final_nrmse<0.05' (OP: < <= > >= = !=).`, {code: 'USAGE', exit: EXIT.usage})
  }
  return {field: match[1], op: (match[2] === '==' ? '=' : match[2]) as Condition['op'], value: match[3].replace(/^(['"])(.*)\1$/, '$2')}
}

/** What the query reads of a listed experiment (listing.ts ListedExperiment) */
interface Listed {
  metric: {name: string; value: unknown} | null
  params?: Record<string, unknown>
}

interface Row {
  item: Classified
  listed: Listed
  config?: Record<string, unknown> | null
}

/** Apply a query to listed experiments (in the scan's order, as `items`): filter, sort, limit, and add `params`. */
export function applyQuery<T extends Listed>(items: Classified[], listed: T[], query: ListQuery): T[] {
  const conditions = (query.where ?? []).map((w) => parseCondition(w))
  let rows: Array<Row & {listed: T}> = items.map((item, i) => ({item, listed: listed[i]}))
  const sortField = query.sort?.replace(/^-/, '')
  for (const field of [...conditions.map((c) => c.field), ...(sortField ? [sortField] : [])]) checkKnown(rows, field)
  rows = rows.filter((row) => conditions.every((c) => holds(fieldValue(row, c.field), c)))
  if (sortField) {
    const sign = query.sort!.startsWith('-') ? -1 : 1
    rows.sort((a, b) => compareValues(fieldValue(a, sortField), fieldValue(b, sortField), sign))
  }
  if (query.limit !== undefined) rows = rows.slice(0, query.limit)
  const params = query.params ?? []
  return rows.map((row) => (params.length === 0 ? row.listed : {...row.listed, params: Object.fromEntries(params.map((k) => [k, configValue(row, k) ?? null]))}))
}

function checkKnown(rows: Row[], field: string): void {
  if ((COLUMNS as readonly string[]).includes(field) || rows.length === 0) return
  if (rows.some((row) => fieldValue(row, field) !== undefined)) return
  throw new ExpError(`no experiment has "${field}": not a column (${COLUMNS.join(', ')}), a metric of a report, or a key of a config.yaml.`, {code: 'UNKNOWN_FIELD', exit: EXIT.usage})
}

/** A column, else a metric of the newest report, else a config key. */
export function fieldValue(row: Row, field: string): unknown {
  if ((COLUMNS as readonly string[]).includes(field)) return (row.listed as unknown as Record<string, unknown>)[field] ?? undefined
  if (row.listed.metric?.name === field) return row.listed.metric.value
  const metrics = numericMetrics(newestReport(row.item.snapshot))
  if (field in metrics) return metrics[field]
  return configValue(row, field)
}

function configValue(row: Row, key: string): unknown {
  if (row.config === undefined) {
    try {
      const file = path.join(row.item.snapshot.dir, CONFIG_FILE)
      const value = parseConfigText(readFileSync(file, 'utf8'), file).toJS()
      row.config = value && typeof value === 'object' ? (value as Record<string, unknown>) : null
    } catch {
      row.config = null // no config.yaml, or one that does not parse: the experiment has no such key
    }
  }
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), row.config)
}

function holds(value: unknown, c: Condition): boolean {
  if (value === undefined || value === null) return false
  const wanted = Number(c.value)
  const numeric = typeof value === 'number' && c.value.trim() !== '' && Number.isFinite(wanted)
  const cmp = numeric ? (value as number) - wanted : String(value).localeCompare(c.value)
  switch (c.op) {
    case '<': return cmp < 0
    case '<=': return cmp <= 0
    case '>': return cmp > 0
    case '>=': return cmp >= 0
    case '=': return cmp === 0
    case '!=': return cmp !== 0
  }
}

/** Numbers by value, text alphabetically; experiments without the field last whatever the direction. */
function compareValues(a: unknown, b: unknown, sign: number): number {
  const missing = (v: unknown) => v === undefined || v === null
  if (missing(a) || missing(b)) return Number(missing(a)) - Number(missing(b))
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b)
  return sign * String(a).localeCompare(String(b))
}

import path from 'node:path'

/**
 * Records are input, not trusted state: a workspace is shared (an NFS home, a restored archive, a colleague's
 * experiments), so every path read from a run.json is checked before it is used to read or write anything. A run
 * id must be a plain name, the name of the record's own folder; every other path (stage logs, the report, the
 * files a backend keeps) must stay inside the experiment. A record that fails is invalid as a whole: one problem,
 * naming the field, and the record is never used.
 */

/** Control characters (line breaks included) never belong in a name exp writes into a script or a record. */
export const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/

/** A plain name: one path segment, not `.` or `..`, no separators, no control characters. */
export function isPlainName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value !== '' &&
    value !== '.' &&
    value !== '..' &&
    !/[\\/]/.test(value) &&
    !CONTROL_CHARACTERS.test(value)
  )
}

/** A relative path that stays inside the folder it is relative to (no `..` segment, not absolute, no NUL). */
export function isInsidePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.includes('\0') || path.isAbsolute(value)) return false
  return !value.split(/[\\/]+/).includes('..')
}

/**
 * The checkpoint a run reads or writes: inside the experiment, or a sibling experiment's `../<name>/checkpoints/<id>`
 * (a work-graph eval reads the checkpoint of the node it depends on). Only ever read there; exp writes only its own.
 */
function isCheckpointPath(value: unknown): boolean {
  if (isInsidePath(value)) return true
  const parts = typeof value === 'string' ? value.split(/[\\/]+/) : []
  return (
    parts.length === 4 &&
    parts[0] === '..' &&
    isPlainName(parts[1]) &&
    parts[2] === 'checkpoints' &&
    isPlainName(parts[3])
  )
}

/** The paths a backend keeps in `backend_data`, relative to the experiment directory. */
const BACKEND_PATHS = ['onstart', 'job', 'checkpoint_dir', 'payload.file'] as const

/**
 * What is wrong with a parsed run.json found in `runs/<folder>/`, as `field: problem`, or undefined when it can be
 * used. Only what exp would act on is checked (identity and paths); unknown fields are left alone.
 */
export function runRecordProblem(value: unknown, folder: string): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object'
  const record = value as Record<string, unknown>
  if (!isPlainName(record.run_id)) return `run_id ${JSON.stringify(record.run_id)} is not a plain name`
  if (record.run_id !== folder)
    return `run_id ${JSON.stringify(record.run_id)} is not the name of its folder (${JSON.stringify(folder)})`
  if (!Array.isArray(record.stages)) return 'stages is not a list'
  for (const [i, stage] of record.stages.entries()) {
    if (!stage || typeof stage !== 'object') return `stages[${i}] is not an object`
    const {log} = stage as {log?: unknown}
    if (!isInsidePath(log)) return `stages[${i}].log ${JSON.stringify(log)} is not a path inside the experiment`
  }
  if (record.report !== undefined && !isInsidePath(record.report))
    return `report ${JSON.stringify(record.report)} is not a path inside the experiment`
  // an evaluation suite's reports and the checkpoint they read
  if (
    record.reports !== undefined &&
    (record.reports === null || typeof record.reports !== 'object' || Array.isArray(record.reports))
  )
    return 'reports is not an object'
  for (const [name, rel] of Object.entries((record.reports ?? {}) as Record<string, unknown>)) {
    if (!isPlainName(name) || !isInsidePath(rel))
      return `reports.${name} ${JSON.stringify(rel)} is not a path inside the experiment`
  }
  if (record.checkpoint !== undefined && !isCheckpointPath(record.checkpoint))
    return `checkpoint ${JSON.stringify(record.checkpoint)} is not a checkpoint folder of this experiment or a sibling`
  const typed = typeProblem(record)
  if (typed) return typed
  const data = record.backend_data
  for (const key of BACKEND_PATHS) {
    const found = key
      .split('.')
      .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data)
    if (found !== undefined && !isInsidePath(found))
      return `backend_data.${key} ${JSON.stringify(found)} is not a path inside the experiment`
  }
  return undefined
}

const STATES = new Set(['queued', 'running', 'completed', 'failed', 'interrupted', 'cancelled'])
type Kind = 'string' | 'number' | 'boolean' | 'object' | 'list'
/** The types of the top-level fields, and of backend_data's first level per backend (records/run-schema.ts has the whole schema). */
const TOP: Record<string, Kind> = {
  experiment: 'string',
  created_at: 'string',
  updated_at: 'string',
  supervisor_pid: 'number',
  report: 'string',
  checkpoint: 'string',
  reason: 'string',
  not_started: 'boolean',
  backend_data: 'object',
}
const BACKEND_DATA: Record<string, Record<string, Kind>> = {
  local: {},
  slurm: {jobs: 'object'},
  vast: {
    attempts: 'list',
    candidates: 'list',
    cost_usd: 'number',
    instance_live: 'boolean',
    payload: 'object',
    options: 'object',
    instance_id: 'number',
  },
}

function kindOf(value: unknown): Kind | 'null' | undefined {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'list'
  const type = typeof value
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'object' ? type : undefined
}

function wrongKind(object: Record<string, unknown>, kinds: Record<string, Kind>, prefix: string): string | undefined {
  for (const [key, kind] of Object.entries(kinds)) {
    const value = object[key]
    if (value !== undefined && kindOf(value) !== kind)
      return `${prefix}${key} ${JSON.stringify(value)?.slice(0, 60)} is not ${kind === 'object' ? 'an' : 'a'} ${kind}`
  }
  return undefined
}

/** The fast type check of the scan: the fields classification and the listings read, without loading zod. */
function typeProblem(record: Record<string, unknown>): string | undefined {
  const fields = BACKEND_DATA[record.backend as string]
  if (typeof record.backend !== 'string' || !fields)
    return `backend ${JSON.stringify(record.backend)} is not one of ${Object.keys(BACKEND_DATA).join(', ')}`
  if (!STATES.has(record.state as string)) return `state ${JSON.stringify(record.state)} is not a run state`
  for (const [i, stage] of (record.stages as Array<Record<string, unknown>>).entries()) {
    if (typeof stage.name !== 'string') return `stages[${i}].name ${JSON.stringify(stage.name)} is not a string`
    if (!STATES.has(stage.state as string))
      return `stages[${i}].state ${JSON.stringify(stage.state)} is not a run state`
  }
  return (
    wrongKind(record, TOP, '') ??
    wrongKind((record.backend_data ?? {}) as Record<string, unknown>, fields, 'backend_data.')
  )
}

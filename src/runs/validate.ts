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
  return typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !/[\\/]/.test(value) && !CONTROL_CHARACTERS.test(value)
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
  return parts.length === 4 && parts[0] === '..' && isPlainName(parts[1]) && parts[2] === 'checkpoints' && isPlainName(parts[3])
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
  if (record.run_id !== folder) return `run_id ${JSON.stringify(record.run_id)} is not the name of its folder (${JSON.stringify(folder)})`
  if (!Array.isArray(record.stages)) return 'stages is not a list'
  for (const [i, stage] of record.stages.entries()) {
    if (!stage || typeof stage !== 'object') return `stages[${i}] is not an object`
    const {log} = stage as {log?: unknown}
    if (!isInsidePath(log)) return `stages[${i}].log ${JSON.stringify(log)} is not a path inside the experiment`
  }
  if (record.report !== undefined && !isInsidePath(record.report)) return `report ${JSON.stringify(record.report)} is not a path inside the experiment`
  // an evaluation suite's reports and the checkpoint they read
  if (record.reports !== undefined && (record.reports === null || typeof record.reports !== 'object' || Array.isArray(record.reports))) return 'reports is not an object'
  for (const [name, rel] of Object.entries((record.reports ?? {}) as Record<string, unknown>)) {
    if (!isPlainName(name) || !isInsidePath(rel)) return `reports.${name} ${JSON.stringify(rel)} is not a path inside the experiment`
  }
  if (record.checkpoint !== undefined && !isCheckpointPath(record.checkpoint)) return `checkpoint ${JSON.stringify(record.checkpoint)} is not a checkpoint folder of this experiment or a sibling`
  const data = record.backend_data
  if (data !== undefined && (data === null || typeof data !== 'object')) return 'backend_data is not an object'
  for (const key of BACKEND_PATHS) {
    const found = key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data)
    if (found !== undefined && !isInsidePath(found)) return `backend_data.${key} ${JSON.stringify(found)} is not a path inside the experiment`
  }
  return undefined
}

/**
 * A quick check of a run record against the schema of run-schema.ts, without zod: true only when the record is
 * certainly valid (every field the schema names has its type), so that writing and reading the local and SLURM
 * records exp itself makes never loads zod (312 KB to load and build: more than a launch's own work). Anything it is
 * not sure of (a vast record, a wrong or unexpected field) answers false, and the zod schema decides and words the
 * problem. It may be stricter than the schema, never looser (test/unit/run-check.test.ts).
 */
type Value = unknown
type Check = (v: Value) => boolean

const STATES = new Set(['queued', 'running', 'completed', 'failed', 'interrupted', 'cancelled'])
const STAGE_NAME = /^(train|evaluate|finetune|evaluate:.+)$/

const isObject = (v: Value): v is Record<string, Value> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
const str: Check = (v) => typeof v === 'string'
const int: Check = (v) => Number.isSafeInteger(v)
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v)
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null || check(v)
const fields =
  (shape: Record<string, Check>): Check =>
  (v) =>
    isObject(v) && Object.entries(shape).every(([k, check]) => check(v[k]))
const recordOf =
  (check: Check): Check =>
  (v) =>
    isObject(v) && Object.values(v).every((x) => check(x))
/** every index, holes included (Array.every skips them; the schema does not) */
const arrayOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && Array.from(v, (x) => check(x)).every(Boolean)

const stage = fields({
  checkpoint: optional(isObject),
  command: arrayOf(str),
  cwd: str,
  ended_at: optional(str),
  exit_code: optional(nullable(int)),
  job_id: optional(str),
  log: str,
  name: (v) => typeof v === 'string' && STAGE_NAME.test(v),
  pid: optional(int),
  pid_start: optional(str),
  reason: optional(str),
  signal: optional(nullable(str)),
  started_at: optional(str),
  state: (v) => STATES.has(v as string),
})

const base = fields({
  boot_id: optional(str),
  checkpoint: optional(str),
  config_sha256: optional(str),
  created_at: str,
  experiment: str,
  host: optional(str),
  not_started: optional((v) => typeof v === 'boolean'),
  reason: optional(str),
  report: optional(str),
  reports: optional(recordOf(str)),
  run_id: str,
  schema: (v) => v === 1,
  stages: arrayOf(stage),
  state: (v) => STATES.has(v as string),
  supervisor_pid: optional(int),
  supervisor_start: optional(str),
  updated_at: str,
})

const backendData: Record<string, Check> = {
  local: optional(isObject),
  slurm: optional(fields({jobs: optional(recordOf(fields({cluster: optional(str), id: optional(str), script: str})))})),
}

export function surelyValidRun(value: Value): boolean {
  if (!isObject(value) || typeof value.backend !== 'string' || !Object.hasOwn(backendData, value.backend)) return false
  return base(value) && backendData[value.backend](value.backend_data)
}

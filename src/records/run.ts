import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {CheckpointCommit} from '../checkpoints/commit.js'
import {ExpError} from '../errors.js'
import {writeJsonAtomic} from '../lib/atomic.js'
import {isPlainName, runRecordProblem} from '../runs/validate.js'
import {issueLine} from './issue.js'
import {surelyValidRun} from './run-check.js'
import type {runSchemaOf} from './run-schema.js'

/*
 * run.json: the one module that reads, checks and writes a run's record. Two checks, one fast and one whole:
 * - the scan of `exp list` uses `checkRunRecord` (hand-written, no zod: identity, paths, states, backend, the types
 *   of the top-level fields and of backend_data's first level), so listing 1,000 experiments never loads zod;
 * - a service reading a record to act on it (`readRun`) and every write (`writeRun`) also apply the zod schema
 *   (records/run-schema.ts: backend_data per backend), loaded on first use. A record that fails either check is one
 *   line naming the file and the field, and is never used or written. Unknown fields are kept as they are.
 */

/**
 * A run: one launch of an experiment's train → evaluate pipeline on one backend, recorded in
 * `experiments/<name>/runs/<run-id>/run.json` (written atomically on every change). Plain JSON so that later
 * tools (sweeps, the work graph, remote sync) can read it without exp.
 */
export const RUN_STATES = ['queued', 'running', 'completed', 'failed', 'interrupted', 'cancelled'] as const
export type RunState = (typeof RUN_STATES)[number]
/** `evaluate:<name>`: one evaluation of an evaluation suite (exp.yaml `engines.evaluate` as a map) */
export type StageName = 'train' | 'evaluate' | `evaluate:${string}`
export type BackendName = 'local' | 'slurm' | 'vast'

export interface StageRecord {
  name: StageName
  state: RunState
  /** the argument list, exactly as started (never a shell string) */
  command: string[]
  cwd: string
  log: string
  started_at?: string
  ended_at?: string
  exit_code?: number | null
  signal?: string | null
  pid?: number
  /** when `pid` started (lib/process-identity): a reused pid is never taken for the engine */
  pid_start?: string
  job_id?: string
  /** why the stage ended as it did, when that is not just its exit code */
  reason?: string
  /** a train stage's committed checkpoint: its manifest's sha256, files, bytes, hashing time, warnings */
  checkpoint?: CheckpointCommit
}

export interface RunRecord {
  schema: 1
  run_id: string
  experiment: string
  backend: BackendName
  created_at: string
  updated_at: string
  /** the whole run: derived from the stages by `overallState` */
  state: RunState
  stages: StageRecord[]
  /** the exp process supervising a local run; when it is gone and the run still says running, the run was interrupted */
  supervisor_pid?: number
  /** when the supervisor started, and the boot it started in (lib/process-identity) */
  supervisor_start?: string
  boot_id?: string
  host?: string
  /** the report the evaluate stage writes, relative to the experiment directory */
  report?: string
  /** an evaluation suite's reports, by evaluation name (reports/<run-id>/<name>.json) */
  reports?: Record<string, string>
  /** the checkpoint folder train writes and evaluations read, relative to the experiment directory */
  checkpoint?: string
  reason?: string
  /** sha256 of the config.yaml this run ran: a sweep relaunch skips variants with a completed run of their current config */
  config_sha256?: string
  /** the launch failed before any engine ran (submission refused, backend unreachable): no evidence about the experiment */
  not_started?: boolean
  /** backend-specific facts (SLURM job ids, vast offer/instance/cost) */
  backend_data?: Record<string, unknown>
}

export const RUNS_DIR = 'runs'
export const RUN_FILE = 'run.json'

export function runDir(experimentDir: string, runId: string): string {
  return path.join(experimentDir, RUNS_DIR, runId)
}

export function runFile(experimentDir: string, runId: string): string {
  return path.join(runDir(experimentDir, runId), RUN_FILE)
}

/**
 * The one order of runs, newest first: by creation time (a run id carries only the second, so two runs created in
 * the same second would otherwise be ordered by their random suffix), then id. The scan and `exp runs` both use it.
 * Code-unit order, not the locale's: ISO times and run ids are ASCII in one fixed shape, and the first
 * localeCompare of a process loads ICU's collator (≈ 6 ms of every launch).
 */
export function compareRuns(
  a: {created_at?: string; run_id: string},
  b: {created_at?: string; run_id: string},
): number {
  return byCodeUnits(b.created_at ?? '', a.created_at ?? '') || byCodeUnits(b.run_id, a.run_id)
}

const byCodeUnits = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0)

export function overallState(stages: StageRecord[]): RunState {
  // a stage still running keeps the run live whatever happened to the others (e.g. evaluate scancelled by hand
  // while train runs): a live job must never be hidden behind a terminal state
  if (stages.some((s) => s.state === 'running')) return 'running'
  if (stages.some((s) => s.state === 'failed')) return 'failed'
  if (stages.some((s) => s.state === 'cancelled')) return 'cancelled'
  if (stages.some((s) => s.state === 'interrupted')) return 'interrupted'
  if (stages.every((s) => s.state === 'completed')) return 'completed'
  // between two stages (train completed, evaluate not started yet) the run is under way, not back in the queue
  if (stages.some((s) => s.state === 'completed')) return 'running'
  return 'queued'
}

/**
 * Rewrite a run's record in its existing folder (never creates the folder: launch makes it under the lock). The
 * record is checked against the schema first: a record exp would not read back is refused, and nothing is written.
 */
export async function writeRun(experimentDir: string, record: RunRecord, now = new Date()): Promise<RunRecord> {
  if (!isPlainName(record.run_id))
    throw new ExpError(
      `refusing to write a run record with run_id ${JSON.stringify(record.run_id)} (not a plain name).`,
      {code: 'INVALID_RECORD'},
    )
  const next = {...record, state: overallState(record.stages), updated_at: now.toISOString()}
  const file = runFile(experimentDir, record.run_id)
  const problem = runRecordProblem(next, record.run_id) ?? (await runSchemaProblem(next))
  if (problem) throw new ExpError(`refusing to write ${file}: ${problem}.`, {code: 'INVALID_RECORD'})
  await writeJsonAtomic(file, next, {createDir: false})
  return next
}

/** Read and check a run.json, the whole record (fast checks, then the schema): an invalid record is one line naming the file and field. */
export async function readRun(file: string): Promise<RunRecord> {
  const record = parseRun(await fs.readFile(file, 'utf8'), file)
  const problem = await runSchemaProblem(record)
  if (problem) throw new ExpError(`${file}: ${problem}; record not used.`, {code: 'INVALID_RECORD'})
  return record
}

let schema: ReturnType<typeof runSchemaOf> | undefined

/** What the zod schema finds wrong with a record (`field problem`), or undefined. Loads zod on first use (run-check.ts first). */
export async function runSchemaProblem(value: unknown): Promise<string | undefined> {
  if (surelyValidRun(value)) return undefined // local and SLURM records as exp writes them: no zod to load
  schema ??= (await import('./run-schema.js')).runSchemaOf((await import('zod')).z)
  const result = schema.safeParse(value)
  return result.success ? undefined : issueLine(result.error.issues, value)
}

/** Parse run.json text found at `file` (…/runs/<folder>/run.json); throws an ExpError naming file and field. */
export function parseRun(text: string, file: string): RunRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ExpError(`${file}: not valid JSON (${(error as Error).message.split('\n')[0]}); record not used.`, {
      code: 'INVALID_RECORD',
    })
  }
  const checked = checkRunRecord(value, path.basename(path.dirname(file)))
  if (!checked.ok) throw new ExpError(`${file}: ${checked.problem}; record not used.`, {code: 'INVALID_RECORD'})
  return checked.record
}

/** A parsed run.json found in `runs/<folder>/` as a record, or the one problem (`field: problem`) that makes it unusable. */
export function checkRunRecord(
  value: unknown,
  folder: string,
): {ok: true; record: RunRecord} | {ok: false; problem: string} {
  const problem = runRecordProblem(value, folder)
  return problem === undefined && isRecordShape(value)
    ? {ok: true, record: value}
    : {ok: false, problem: problem ?? 'not a JSON object'}
}

/** What runRecordProblem has checked, as a type (identity, stages and paths; other fields are read defensively). */
function isRecordShape(value: unknown): value is RunRecord {
  return typeof value === 'object' && value !== null && Array.isArray((value as {stages?: unknown}).stages)
}

import type {ProcessIdentity} from '../lib/process-identity.js'
import type {RunRecord, RunState, StageRecord} from '../records/run.js'

/*
 * The run model's helpers. The record itself (its types, the schema, readRun/writeRun) lives in records/run.ts and
 * is re-exported here, so readers keep one import.
 */
export {
  type BackendName,
  checkRunRecord,
  compareRuns,
  overallState,
  parseRun,
  readRun,
  RUN_FILE,
  RUN_STATES,
  runDir,
  runFile,
  type RunRecord,
  RUNS_DIR,
  type RunState,
  type StageName,
  type StageRecord,
  writeRun,
} from '../records/run.js'

/**
 * A run that still holds something on a backend: live, or ended with resources kept (a stopped vast instance that
 * bills disk until its results are collected or it is destroyed). `exp cancel` acts on these.
 */
export function holdsResources(record: RunRecord): boolean {
  return isLive(record.state) || record.backend_data?.instance_live === true
}

export const LIVE_STATES: readonly RunState[] = ['queued', 'running']

export function isLive(state: RunState): boolean {
  return LIVE_STATES.includes(state)
}

/** The supervisor's recorded identity (undefined when none is recorded). */
export function supervisorIdentity(record: RunRecord): ProcessIdentity | undefined {
  return record.supervisor_pid === undefined
    ? undefined
    : {boot_id: record.boot_id, pid: record.supervisor_pid, start: record.supervisor_start}
}

/** A local stage's engine (the leader of its process group), as recorded. */
export function stageIdentity(record: RunRecord, stage: StageRecord): ProcessIdentity | undefined {
  return stage.pid === undefined ? undefined : {boot_id: record.boot_id, pid: stage.pid, start: stage.pid_start}
}

/** The fields that record `identity` as a run's supervisor. */
export function supervisorFields(
  identity: ProcessIdentity,
): Pick<RunRecord, 'boot_id' | 'supervisor_pid' | 'supervisor_start'> {
  return {boot_id: identity.boot_id, supervisor_pid: identity.pid, supervisor_start: identity.start}
}

/** Run ids sort by time: 20250122-101500-3f2a. */
export function newRunId(now: Date, random: () => string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/\.\d+Z$/, '')
  return `${stamp}-${random()}`
}

/** The time a run last changed state, for "newest evidence" comparisons. */
export function runTime(run: RunRecord): number {
  const ends = run.stages.map((s) => Date.parse(s.ended_at ?? '')).filter((t) => !Number.isNaN(t))
  return ends.length ? Math.max(...ends) : Date.parse(run.updated_at) || Date.parse(run.created_at) || 0
}

/** A run whose launch failed before any engine ran (launch marks it `not_started`): no evidence about the experiment. */
export function notStarted(run: RunRecord): boolean {
  return run.not_started === true
}

/** The stage that decided a failed run, for the reason text. */
export function failedStage(run: RunRecord): StageRecord | undefined {
  return run.stages.find((s) => s.state === 'failed')
}

import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {messageOf} from '../../errors.js'
import {isSameProcess} from '../../lib/process-identity.js'
import {isLive, type RunRecord, type RunState, runDir, type StageName, type StageRecord, supervisorIdentity, writeRun} from '../../runs/record.js'
import type {BackendContext, RunRef} from '../backend.js'
import {isEvaluateStage} from '../../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../../launch/launch-log.js'
import {withCommittedCheckpoint} from '../../launch/checkpoint-gate.js'
import {judgeEvaluation} from '../evaluation.js'
import {runSlurm, type SlurmResult, slurmMessage} from './runner.js'
import {exitFile, startedFile} from './script.js'
import {
  describeSlurm,
  type EndRecord,
  isTerminalSlurmState,
  mapSlurmState,
  parseEndRecord,
  parseExitCode,
  parseRecordFile,
  parseSacct,
  parseScontrolJob,
  parseSqueue,
  type SlurmJobState,
} from './states.js'

/**
 * Refreshing SLURM runs: ONE `squeue -t all` call for every live job of every run (finished jobs stay listed
 * while slurmctld remembers them), the start/end records the jobs write themselves, and sacct/scontrol only for
 * jobs SLURM forgot. Refresh only observes: it never submits or cancels anything.
 */
export const SQUEUE_FORMAT = '%i|%T|%r'


/** What SLURM and the job's own files say about one job. */
interface Observation {
  /** from squeue -t all (or sacct for a job slurmctld forgot); undefined when SLURM does not know the job */
  slurm?: SlurmJobState & {exitCode?: string; source: 'sacct' | 'scontrol' | 'squeue'}
  started?: Record<string, string>
  end?: EndRecord
}

/** The job ids of the live stages of live runs, in order, without repeats. */
function liveJobIds(runs: RunRef[]): string[] {
  const ids = new Set<string>()
  for (const {record} of runs) {
    if (!isLive(record.state)) continue
    for (const s of record.stages) if (isLive(s.state) && s.job_id) ids.add(s.job_id)
  }
  return [...ids]
}

/**
 * One squeue call for all the given jobs, finished ones included (`-t all`: slurmctld keeps them for MinJobAge).
 * undefined when SLURM cannot be asked (no squeue, controller down): then nothing may be concluded.
 */
async function queueStates(ids: string[], context: BackendContext): Promise<Map<string, SlurmJobState> | undefined> {
  if (ids.length === 0) return new Map()
  let result: SlurmResult
  try {
    // array tasks (`<array job>_<task>`, a sweep's variants): -r lists each task on its own line, pending ones too
    const array = ids.some((id) => id.includes('_')) ? ['-r'] : []
    result = await runSlurm('squeue', ['-h', '-t', 'all', ...array, '-j', ids.join(','), '-o', SQUEUE_FORMAT], {env: context.env})
  } catch (error) {
    context.log(`cannot refresh SLURM runs: ${messageOf(error)}`)
    return undefined
  }
  if (result.code === 0) return parseSqueue(result.stdout)
  // with a single id SLURM no longer knows, squeue fails instead of printing nothing
  if (/invalid job id/i.test(result.stderr)) return new Map()
  context.log(`cannot refresh SLURM runs: squeue: ${slurmMessage(result)}`)
  return undefined
}

async function readJobFile(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The job's own records, when they belong to this job (a hand re-submission of the script writes its own). */
async function jobFiles(dir: string, stage: StageName, jobId: string): Promise<Pick<Observation, 'end' | 'started'>> {
  const [startedText, endText] = await Promise.all([readJobFile(path.join(dir, startedFile(stage))), readJobFile(path.join(dir, exitFile(stage)))])
  const started = startedText === undefined ? undefined : parseRecordFile(startedText)
  const end = endText === undefined ? undefined : parseEndRecord(endText)
  return {end: end?.jobId === jobId ? end : undefined, started: started?.job_id === jobId ? started : undefined}
}

/** sacct, where the cluster has accounting: one call for the jobs slurmctld has forgotten. */
async function accountingStates(ids: string[], context: BackendContext): Promise<Map<string, SlurmJobState & {exitCode?: string}>> {
  if (ids.length === 0) return new Map()
  try {
    const result = await runSlurm('sacct', ['-X', '-n', '-P', '-j', ids.join(','), '-o', 'JobID,State,ExitCode'], {env: context.env})
    // without slurmdbd: rc 1, "Slurm accounting storage is disabled": no accounting, not an error of the run
    if (result.code === 0) return parseSacct(result.stdout)
  } catch {
    // sacct missing: the same as no accounting
  }
  return new Map()
}

/** scontrol for a job that ended in SLURM without writing its end record: its exit code. */
async function controllerRecord(id: string, context: BackendContext): Promise<{exitCode?: string} | undefined> {
  try {
    const result = await runSlurm('scontrol', ['-o', 'show', 'job', id], {env: context.env})
    return result.code === 0 ? parseScontrolJob(result.stdout) : undefined
  } catch {
    return undefined
  }
}

/** Final states of a job whose script started: without its end record, scontrol's exit code is worth one call. */
const RAN_STATES = new Set(['BOOT_FAIL', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'SPECIAL_EXIT', 'TIMEOUT'])

/**
 * The new record of one stage from what was observed. While SLURM holds the job in its queue, its state is the
 * truth; once the job has left it, the job's own end record decides whether the engine finished on its own (exit 0
 * → completed, else failed), and SLURM's final state says why it did not (scancel → cancelled, time limit or
 * preemption → interrupted). A job SLURM no longer knows that wrote no end record is interrupted, with that reason.
 */
export function decideStage(stage: StageRecord, obs: Observation, now: Date): StageRecord {
  const id = stage.job_id!
  const at = now.toISOString()
  const startedAt = obs.started?.started_at || stage.started_at
  const {slurm, end} = obs
  if (slurm && !isTerminalSlurmState(slurm.state)) {
    const state = mapSlurmState(slurm.state)
    const next: StageRecord = {...stage, state}
    if (state === 'running') next.started_at = startedAt ?? at
    return next
  }
  const base: StageRecord = {...stage, ended_at: end?.endedAt ?? stage.ended_at ?? at}
  if (startedAt) base.started_at = startedAt
  if (end && !end.signal) {
    return end.exitCode === 0
      ? {...base, exit_code: 0, signal: null, state: 'completed'}
      : {...base, exit_code: end.exitCode, signal: null, state: 'failed', ...(end.reason ? {reason: end.reason} : {})}
  }
  if (slurm) {
    const state = mapSlurmState(slurm.state)
    const exit = parseExitCode(slurm.exitCode)
    const next: StageRecord = {...base, state}
    if (end) {
      next.exit_code = end.exitCode
      next.signal = `SIG${end.signal}`
    } else if (exit) {
      next.exit_code = exit.code
      next.signal = exit.signal ? `signal ${exit.signal}` : null
    }
    const why = `SLURM job ${id} ${describeSlurm(slurm)}${slurm.source === 'sacct' ? ' (accounting)' : ''}`
    if (state === 'completed') {
      next.exit_code ??= 0
      if (!end) next.reason = `${why}; the job wrote no end record`
    } else {
      next.reason = end ? `${why}; the engine received SIGTERM` : RAN_STATES.has(slurm.state) ? `${why}; the job wrote no end record` : why
    }
    return next
  }
  if (end) {
    // slurmctld has forgotten the job, but it caught SIGTERM: it was stopped, and nothing says why
    return {...base, exit_code: end.exitCode, reason: `the engine received SIGTERM; SLURM no longer knows job ${id}`, signal: `SIG${end.signal}`, state: 'interrupted'}
  }
  return {...base, exit_code: null, reason: `SLURM no longer knows job ${id} and it wrote no end record`, state: 'interrupted'}
}

export async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
  const queue = await queueStates(liveJobIds(runs), context)
  if (!queue) return runs.map((r) => r.record)

  // what each live job left behind; the jobs SLURM forgot without an end record go to sacct, all in one call
  const observations = new Map<string, Observation>()
  for (const {experimentDir, record} of runs) {
    if (!isLive(record.state)) continue
    const dir = runDir(experimentDir, record.run_id)
    for (const stage of record.stages) {
      if (!isLive(stage.state) || !stage.job_id) continue
      const job = queue.get(stage.job_id)
      const obs: Observation = {slurm: job ? {...job, source: 'squeue'} : undefined}
      if (!job || job.state !== 'PENDING') Object.assign(obs, await jobFiles(dir, stage.name, stage.job_id))
      observations.set(observationKey(experimentDir, record.run_id, stage.job_id), obs)
    }
  }
  // (a job that caught SIGTERM wrote an end record, but only SLURM can say whether that was scancel or the time limit)
  const forgotten = [...observations.entries()].filter(([, o]) => !o.slurm && (!o.end || o.end.signal)).map(([key]) => jobOf(key))
  const accounting = await accountingStates([...new Set(forgotten)], context)
  for (const [key, obs] of observations) {
    const id = jobOf(key)
    const acct = accounting.get(id)
    if (!obs.slurm && acct && isTerminalSlurmState(acct.state)) obs.slurm = {...acct, source: 'sacct'}
    // ended in SLURM after it started, without its end record (the run folder not shared with the node?): ask once
    if (obs.slurm?.source === 'squeue' && !obs.end && RAN_STATES.has(obs.slurm.state)) {
      const ctl = await controllerRecord(id, context)
      if (ctl?.exitCode) obs.slurm = {...obs.slurm, exitCode: ctl.exitCode}
    }
  }

  const out: RunRecord[] = []
  for (const ref of runs) {
    try {
      out.push(await refreshRun(ref, observations, context))
    } catch (error) {
      context.log(`cannot refresh SLURM run ${ref.record.run_id}: ${messageOf(error)}`)
      out.push(ref.record)
    }
  }
  return out
}

function observationKey(experimentDir: string, runId: string, jobId: string): string {
  return [experimentDir, runId, jobId].join('\0')
}

function jobOf(key: string): string {
  return key.slice(key.lastIndexOf('\0') + 1)
}

async function refreshRun(ref: RunRef, observations: Map<string, Observation>, context: BackendContext): Promise<RunRecord> {
  const {experimentDir, record} = ref
  if (!isLive(record.state)) return record
  const now = context.now()
  const dir = runDir(experimentDir, record.run_id)
  const entries: LaunchLogEntry[] = []
  const supervised = record.supervisor_pid !== undefined && (!record.host || record.host === os.hostname()) && isSameProcess(supervisorIdentity(record))
  let stopper: StageRecord | undefined
  const stages = record.stages.map((stage): StageRecord => {
    if (!isLive(stage.state)) {
      if (stage.state !== 'completed' && !isEvaluateStage(stage.name)) stopper ??= stage
      return stage
    }
    const obs = stage.job_id ? observations.get(observationKey(experimentDir, record.run_id, stage.job_id)) : undefined
    if (stopper && !(obs?.slurm && isTerminalSlurmState(obs.slurm.state))) {
      // afterok can never be satisfied: SLURM cancels this job itself (--kill-on-invalid-dep); record it so now,
      // since a run that has ended is never refreshed again
      const state: RunState = stopper.state === 'interrupted' ? 'interrupted' : 'cancelled'
      const next: StageRecord = {...stage, ended_at: now.toISOString(), reason: `not run: ${stopper.name} ${stopper.state}`, state}
      entries.push({action: stage.name, description: `not run${stage.job_id ? ` (SLURM job ${stage.job_id})` : ''}`, details: next.reason, result: state})
      return next
    }
    if (!stage.job_id) {
      if (supervised) return stage
      const next: StageRecord = {...stage, ended_at: now.toISOString(), reason: 'never submitted: the exp process that launched it stopped first', state: 'interrupted'}
      entries.push({action: stage.name, description: 'never submitted', details: next.reason, result: 'interrupted'})
      stopper = next
      return next
    }
    if (!obs) return stage
    const next = withCommittedCheckpoint(experimentDir, record, decideStage(stage, obs, now))
    if (!isLive(next.state)) {
      const how = next.reason ?? (next.exit_code === null || next.exit_code === undefined ? '' : `exit code ${next.exit_code}`)
      entries.push({action: stage.name, description: `SLURM job ${stage.job_id} ended`, details: how || undefined, result: next.state})
      if (next.state !== 'completed' && !isEvaluateStage(next.name)) stopper = next
    } else if (next.state !== stage.state) {
      entries.push({action: stage.name, description: `SLURM job ${stage.job_id} ${next.state}`, result: next.state})
    }
    return next
  })

  const changed = JSON.stringify(stages) !== JSON.stringify(record.stages)
  if (!changed) return record
  let next = await writeRun(experimentDir, {...record, stages}, now)
  const note = (entry: LaunchLogEntry) => appendLaunchLog(launchLogFile(dir), entry, context.now())
  for (const entry of entries) await note(entry)

  for (const [i, stage] of next.stages.entries()) {
    const justCompleted = isEvaluateStage(stage.name) && stage.state === 'completed' && record.stages[i].state !== 'completed'
    if (justCompleted) next = await judgeReport(experimentDir, next, i, context, note)
  }
  if (!isLive(next.state)) {
    await note({action: 'run', description: `run ${next.run_id} finished`, details: next.stages.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join('; '), result: next.state})
  }
  return next
}

/** After a completed evaluate: the one evaluation-outcome step every backend shares. */
async function judgeReport(experimentDir: string, record: RunRecord, i: number, context: BackendContext, note: (e: LaunchLogEntry) => Promise<void>): Promise<RunRecord> {
  const outcome = await judgeEvaluation(experimentDir, record, i, context.ws.settings.gates, context.now())
  if (!outcome) return record
  await note(outcome.entry)
  if (!outcome.failure) return record
  return writeRun(experimentDir, {...record, stages: record.stages.map((s, j) => (j === i ? {...s, reason: outcome.failure, state: 'failed' as RunState} : s))}, context.now())
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../../errors.js'
import {isLive, runDir, type StageName} from '../../runs/record.js'
import type {BackendContext, RunRef} from '../backend.js'
import {runSlurm, type SlurmResult, slurmMessage} from './runner.js'
import {exitFile, startedFile} from './script.js'
import {
  type EndRecord,
  isTerminalSlurmState,
  parseEndRecord,
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
export interface Observation {
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
    result = await runSlurm('squeue', ['-h', '-t', 'all', ...array, '-j', ids.join(','), '-o', SQUEUE_FORMAT], {
      env: context.env,
    })
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
  const [startedText, endText] = await Promise.all([
    readJobFile(path.join(dir, startedFile(stage))),
    readJobFile(path.join(dir, exitFile(stage))),
  ])
  const started = startedText === undefined ? undefined : parseRecordFile(startedText)
  const end = endText === undefined ? undefined : parseEndRecord(endText)
  return {end: end?.jobId === jobId ? end : undefined, started: started?.job_id === jobId ? started : undefined}
}

/** sacct, where the cluster has accounting: one call for the jobs slurmctld has forgotten. */
async function accountingStates(
  ids: string[],
  context: BackendContext,
): Promise<Map<string, SlurmJobState & {exitCode?: string}>> {
  if (ids.length === 0) return new Map()
  try {
    const result = await runSlurm('sacct', ['-X', '-n', '-P', '-j', ids.join(','), '-o', 'JobID,State,ExitCode'], {
      env: context.env,
    })
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
export const RAN_STATES = new Set([
  'BOOT_FAIL',
  'COMPLETED',
  'DEADLINE',
  'FAILED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'SPECIAL_EXIT',
  'TIMEOUT',
])

export function observationKey(experimentDir: string, runId: string, jobId: string): string {
  return [experimentDir, runId, jobId].join('\0')
}

function jobOf(key: string): string {
  return key.slice(key.lastIndexOf('\0') + 1)
}

/**
 * What SLURM and each live job's own files say, keyed by observationKey; undefined when SLURM cannot be asked (then
 * nothing may be concluded).
 */
export async function observeJobs(
  runs: RunRef[],
  context: BackendContext,
): Promise<Map<string, Observation> | undefined> {
  const queue = await queueStates(liveJobIds(runs), context)
  if (!queue) return undefined

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
  const forgotten = [...observations.entries()]
    .filter(([, o]) => !o.slurm && (!o.end || o.end.signal))
    .map(([key]) => jobOf(key))
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
  return observations
}

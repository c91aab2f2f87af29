import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {z} from 'zod'

import {EXIT, ExpError, messageOf} from '../errors.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {packageVersion} from '../lib/package.js'
import {isSameProcess} from '../lib/process-identity.js'
import {applyGates, describeCheck} from '../reports/gates.js'
import {isLive, type RunRecord, type RunState, runDir, type StageName, type StageRecord, supervisorIdentity, writeRun} from '../runs/record.js'
import type {Backend, BackendContext, CollectResult, LaunchIO, LaunchRequest, PreparedRun, RunRef} from './backend.js'
import {isEvaluateStage, stageReport} from '../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../launch/launch-log.js'
import {queuedRecord} from '../launch/plan.js'
import {withCommittedCheckpoint} from '../launch/checkpoint-gate.js'
import {EXP_BIN} from './local-supervisor.js'
import {runSlurm, type SlurmResult, slurmMessage} from './slurm/runner.js'
import {exitFile, renderBatchScript, type SlurmResources, startedFile} from './slurm/script.js'
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
} from './slurm/states.js'

/**
 * The SLURM backend. prepare writes one readable batch script per stage into the run folder; submit sbatches train,
 * then evaluate with `--dependency=afterok:<train> --kill-on-invalid-dep=yes`; refresh asks SLURM about every live
 * job of every run in ONE `squeue -t all` call (finished jobs stay listed while slurmctld remembers them), and reads
 * the start/end records the jobs write themselves; cancel runs scancel. Jobs write into the experiment directory on
 * the shared filesystem, so collect has nothing to copy.
 */
export const SQUEUE_FORMAT = '%i|%T|%r'

/** What a SLURM run keeps in run.json `backend_data`. */
export interface SlurmBackendData {
  jobs: Partial<Record<StageName, {script: string; id?: string; cluster?: string}>>
}

const count = z.coerce.number().int()
const optionsSchema = z.object({
  account: z.string().min(1).optional(),
  cpus: count.positive().optional(),
  gpus: count.nonnegative().optional(),
  mem: z.string().min(1).optional(),
  partition: z.string().min(1).optional(),
  sbatch_args: z.array(z.string().min(1)).default([]),
  setup: z.array(z.string()).default([]),
  time: z.string().min(1).optional(),
})

export function slurmResources(options: Record<string, unknown>): SlurmResources {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== null))
  const parsed = optionsSchema.safeParse(defined)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ExpError(`invalid SLURM option ${issue.path.join('.')}: ${issue.message}.`, {code: 'INVALID_SLURM_OPTION', exit: EXIT.usage})
  }
  const o = parsed.data
  return {account: o.account, cpus: o.cpus, gpus: o.gpus, mem: o.mem, partition: o.partition, sbatchArgs: o.sbatch_args, time: o.time, ...(o.setup.length > 0 ? {setup: o.setup} : {})}
}

export function scriptFile(runDirectory: string, stage: StageName): string {
  return path.join(runDirectory, `${stage}.slurm`)
}

/** The sbatch argument list of a stage; `after` is the job it waits for (afterok), if any. */
export function sbatchArgv(script: string, after?: string): string[] {
  return ['sbatch', '--parsable', ...(after ? [`--dependency=afterok:${after}`, '--kill-on-invalid-dep=yes'] : []), script]
}

async function prepare(request: LaunchRequest): Promise<PreparedRun> {
  const resources = slurmResources(request.options)
  const expDir = request.experiment.dir
  const record = queuedRecord(request, 'slurm')
  const files: string[] = []
  const commands: string[][] = []
  const jobs: SlurmBackendData['jobs'] = {}
  let previous: StageName | undefined
  // render every script before writing any, so a bad option leaves nothing behind
  const scripts = request.stages.map((stage) => {
    const file = scriptFile(request.runDir, stage.name)
    const text = renderBatchScript({
      argv: stage.argv,
      cwd: stage.cwd,
      experiment: request.experiment.name,
      log: stage.log,
      resources,
      runDir: request.runDir,
      runId: request.runId,
      scriptRel: path.relative(expDir, file),
      exp: [process.execPath, EXP_BIN],
      stage: stage.name,
      version: packageVersion(),
    })
    return {file, stage: stage.name, text}
  })
  for (const {file, stage, text} of scripts) {
    await writeFileAtomic(file, text, 0o755)
    files.push(file)
    commands.push(sbatchArgv(file, previous ? `<${previous} job id>` : undefined))
    jobs[stage] = {script: path.relative(expDir, file)}
    if (!isEvaluateStage(stage)) previous = stage
  }
  record.backend_data = {...record.backend_data, jobs}
  return {commands, files, record, request}
}

/**
 * sbatch every stage, each after the previous one (afterok), recording each job id in run.json as soon as SLURM
 * gives it, so a crash never leaves a job exp does not know. When a submission fails, the jobs already submitted
 * are cancelled, the run is recorded failed and the error carries sbatch's message.
 */
async function submit(prepared: PreparedRun, _io: LaunchIO): Promise<RunRecord> {
  const {request} = prepared
  if (request.dryRun) return prepared.record
  const expDir = request.experiment.dir
  const note = (entry: LaunchLogEntry) => appendLaunchLog(launchLogFile(request.runDir), entry, request.now())
  const data = slurmData(prepared.record)
  let record: RunRecord = {...prepared.record, backend_data: {...prepared.record.backend_data, ...data}}
  let previous: {name: StageName; id: string} | undefined
  for (const [i, stage] of record.stages.entries()) {
    const script = scriptFile(request.runDir, stage.name)
    const argv = sbatchArgv(script, previous?.id ?? (request.afterJobs?.length ? request.afterJobs.join(':') : undefined))
    let result: SlurmResult | undefined
    let failure: string | undefined
    try {
      result = await runSlurm('sbatch', argv.slice(1), {env: request.env})
      if (result.code !== 0) failure = slurmMessage(result)
    } catch (error) {
      failure = messageOf(error)
    }
    const [id, cluster] = (result?.stdout ?? '').trim().split(';')
    if (!failure && !/^\d+$/.test(id ?? '')) failure = `unexpected answer from sbatch --parsable: ${JSON.stringify(result?.stdout.trim())}`
    if (failure) {
      record = await failSubmission(record, i, failure, request)
      throw new ExpError(`sbatch could not submit the ${stage.name} job: ${failure}`, {code: 'SBATCH_FAILED'})
    }
    data.jobs[stage.name] = {...data.jobs[stage.name], cluster: cluster || undefined, id, script: path.relative(expDir, script)}
    record = await writeRun(
      expDir,
      {...record, backend_data: {...record.backend_data, jobs: data.jobs}, stages: record.stages.map((s, j) => (j === i ? {...s, job_id: id} : s))},
      request.now(),
    )
    request.log(`${stage.name}: submitted SLURM job ${id}${previous ? ` (runs after job ${previous.id} completes)` : ''}`)
    await note({action: stage.name, description: `submitted ${argv.join(' ')}`, details: [`SLURM job ${id}`, `log ${stage.log}`], result: 'queued'})
    // evaluations wait for train (afterok), not for each other: a suite's jobs run side by side
    if (!isEvaluateStage(stage.name)) previous = {id, name: stage.name}
  }
  // from here SLURM holds the run: the job ids, not this process, say whether it lives
  const {supervisor_pid: _handedOver, supervisor_start: _start, ...rest} = record
  return writeRun(expDir, rest, request.now())
}

async function failSubmission(record: RunRecord, failedAt: number, failure: string, context: LaunchRequest): Promise<RunRecord> {
  const submitted = record.stages.filter((s, j) => j < failedAt && s.job_id).map((s) => s.job_id!)
  let cancelled = ''
  if (submitted.length > 0) {
    try {
      const r = await runSlurm('scancel', submitted, {env: context.env})
      cancelled = r.code === 0 ? `; cancelled job ${submitted.join(', ')}` : `; scancel ${submitted.join(' ')} failed: ${slurmMessage(r)}`
    } catch (error) {
      cancelled = `; scancel failed: ${messageOf(error)}`
    }
  }
  const at = context.now().toISOString()
  const failedName = record.stages[failedAt].name
  const stages = record.stages.map((s, j): StageRecord => {
    if (j === failedAt) return {...s, ended_at: at, exit_code: null, reason: `sbatch failed: ${failure}`, state: 'failed'}
    if (isLive(s.state)) return {...s, ended_at: at, reason: `${failedName} could not be submitted`, state: 'cancelled'}
    return s
  })
  const next = await writeRun(context.experiment.dir, {...record, reason: `sbatch failed for ${failedName}: ${failure}`, stages}, context.now())
  await appendLaunchLog(
    launchLogFile(context.runDir),
    {action: failedName, description: 'sbatch failed', details: `${failure}${cancelled}`, result: next.state},
    context.now(),
  )
  return next
}

function slurmData(record: RunRecord): SlurmBackendData {
  const jobs = (record.backend_data?.jobs ?? {}) as SlurmBackendData['jobs']
  return {jobs: {...jobs}}
}

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
    result = await runSlurm('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', SQUEUE_FORMAT], {env: context.env})
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

async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
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
    if (justCompleted && stageReport(next, stage.name)) next = await judgeReport(experimentDir, next, i, context, note)
  }
  if (!isLive(next.state)) {
    await note({action: 'run', description: `run ${next.run_id} finished`, details: next.stages.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join('; '), result: next.state})
  }
  return next
}

/**
 * After a completed evaluate, as the local backend does: exp's gates when the report has no verdict of its own, and
 * a missing or unreadable report fails the stage when the command was given the report path to write.
 */
async function judgeReport(experimentDir: string, record: RunRecord, i: number, context: BackendContext, note: (e: LaunchLogEntry) => Promise<void>): Promise<RunRecord> {
  const reportRel = stageReport(record, record.stages[i].name)!
  const outcome = await applyGates(path.join(experimentDir, reportRel), context.ws.settings.gates, context.now())
  if (outcome.decided_by === 'engine') {
    await note({action: 'report', description: `${reportRel} written by the engine`, result: `gates_passed: ${String(outcome.passed)}`})
    return record
  }
  if (outcome.decided_by === 'exp') {
    const details = outcome.checks.map((c) => describeCheck(c))
    await note({action: 'gates', description: `exp decided the gates of ${reportRel} (the report had no gates_passed)`, details, result: `gates_passed: ${outcome.passed}`})
    return record
  }
  const named = record.stages[i].command.some((a) => a.includes(reportRel))
  if (outcome.report !== 'ok' && named) {
    const reason = `exited 0 but ${outcome.reason} (${reportRel})`
    await note({action: 'report', description: `no usable report at ${reportRel}`, details: outcome.reason, result: `${record.stages[i].name} failed`})
    return writeRun(experimentDir, {...record, stages: record.stages.map((s, j) => (j === i ? {...s, reason, state: 'failed' as RunState} : s))}, context.now())
  }
  await note({action: 'report', description: `${reportRel}: no verdict`, details: outcome.reason, result: 'no gates_passed'})
  return record
}

/** scancel the live jobs of a run and record them cancelled (after one refresh, so a job that just ended keeps its outcome). */
async function cancel(run: RunRef, context: BackendContext): Promise<RunRecord> {
  const [current] = await refresh([run], context)
  if (!isLive(current.state)) return current
  const ids = current.stages.filter((s) => isLive(s.state) && s.job_id).map((s) => s.job_id!)
  if (ids.length > 0) {
    const result = await runSlurm('scancel', ids, {env: context.env})
    if (result.code !== 0) throw new ExpError(`scancel ${ids.join(' ')} failed: ${slurmMessage(result)}`, {code: 'SCANCEL_FAILED'})
  }
  const now = context.now()
  const reason = 'cancelled by exp cancel'
  const stages = current.stages.map((s) => (isLive(s.state) ? {...s, ended_at: now.toISOString(), reason, state: 'cancelled' as const} : s))
  const next = await writeRun(run.experimentDir, {...current, reason, stages}, now)
  await appendLaunchLog(
    launchLogFile(runDir(run.experimentDir, current.run_id)),
    {action: 'cancel', description: `run ${current.run_id} cancelled`, details: ids.length > 0 ? `scancel ${ids.join(' ')}` : 'no SLURM job was submitted', result: next.state},
    now,
  )
  return next
}

async function collect(run: RunRef): Promise<CollectResult> {
  return {
    files: [],
    message: `run ${run.record.run_id} ran on SLURM and wrote into the experiment directory on the shared filesystem; nothing to collect.`,
    record: run.record,
  }
}

export const slurmBackend: Backend = {cancel, collect, name: 'slurm', prepare, refresh, submit}

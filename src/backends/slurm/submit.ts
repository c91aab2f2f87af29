import path from 'node:path'
import {z} from 'zod'

import {EXIT, ExpError, messageOf} from '../../errors.js'
import {writeFileAtomic} from '../../lib/atomic.js'
import {packageVersion} from '../../lib/package.js'
import {type RunRecord, type StageName, writeRun} from '../../runs/record.js'
import type {LaunchIO, LaunchRequest, PreparedRun} from '../backend.js'
import {isEvaluateStage} from '../../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../../launch/launch-log.js'
import {queuedRecord} from '../../launch/plan.js'
import {EXP_BIN} from '../local-supervisor.js'
import {endStages} from '../stages.js'
import {runSlurm, type SlurmResult, slurmMessage} from './runner.js'
import {renderBatchScript, type SlurmResources} from './script.js'

/** Submitting a SLURM run: one readable batch script per stage, then sbatch each after the one before (afterok). */

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
    throw new ExpError(`invalid SLURM option ${issue.path.join('.')}: ${issue.message}.`, {
      code: 'INVALID_SLURM_OPTION',
      exit: EXIT.usage,
    })
  }
  const o = parsed.data
  return {
    account: o.account,
    cpus: o.cpus,
    gpus: o.gpus,
    mem: o.mem,
    partition: o.partition,
    sbatchArgs: o.sbatch_args,
    time: o.time,
    ...(o.setup.length > 0 ? {setup: o.setup} : {}),
  }
}

export function scriptFile(runDirectory: string, stage: StageName): string {
  return path.join(runDirectory, `${stage}.slurm`)
}

/** The sbatch argument list of a stage; `after` is the job it waits for (afterok), if any. */
export function sbatchArgv(script: string, after?: string): string[] {
  return [
    'sbatch',
    '--parsable',
    ...(after ? [`--dependency=afterok:${after}`, '--kill-on-invalid-dep=yes'] : []),
    script,
  ]
}

export async function prepare(request: LaunchRequest): Promise<PreparedRun> {
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
export async function submit(prepared: PreparedRun, _io: LaunchIO): Promise<RunRecord> {
  const {request} = prepared
  if (request.dryRun) return prepared.record
  const expDir = request.experiment.dir
  const note = (entry: LaunchLogEntry) => appendLaunchLog(launchLogFile(request.runDir), entry, request.now())
  const data = slurmData(prepared.record)
  let record: RunRecord = {...prepared.record, backend_data: {...prepared.record.backend_data, ...data}}
  let previous: {name: StageName; id: string} | undefined
  for (const [i, stage] of record.stages.entries()) {
    const script = scriptFile(request.runDir, stage.name)
    const argv = sbatchArgv(
      script,
      previous?.id ?? (request.afterJobs?.length ? request.afterJobs.join(':') : undefined),
    )
    let result: SlurmResult | undefined
    let failure: string | undefined
    try {
      result = await runSlurm('sbatch', argv.slice(1), {env: request.env})
      if (result.code !== 0) failure = slurmMessage(result)
    } catch (error) {
      failure = messageOf(error)
    }
    const [id, cluster] = (result?.stdout ?? '').trim().split(';')
    if (!failure && !/^\d+$/.test(id ?? ''))
      failure = `unexpected answer from sbatch --parsable: ${JSON.stringify(result?.stdout.trim())}`
    if (failure) {
      await failSubmission(record, i, failure, request)
      throw new ExpError(`sbatch could not submit the ${stage.name} job: ${failure}`, {code: 'SBATCH_FAILED'})
    }
    data.jobs[stage.name] = {
      ...data.jobs[stage.name],
      cluster: cluster || undefined,
      id,
      script: path.relative(expDir, script),
    }
    record = await writeRun(
      expDir,
      {
        ...record,
        backend_data: {...record.backend_data, jobs: data.jobs},
        stages: record.stages.map((s, j) => (j === i ? {...s, job_id: id} : s)),
      },
      request.now(),
    )
    request.log(
      `${stage.name}: submitted SLURM job ${id}${previous ? ` (runs after job ${previous.id} completes)` : ''}`,
    )
    await note({
      action: stage.name,
      description: `submitted ${argv.join(' ')}`,
      details: [`SLURM job ${id}`, `log ${stage.log}`],
      result: 'queued',
    })
    // evaluations wait for train (afterok), not for each other: a suite's jobs run side by side
    if (!isEvaluateStage(stage.name)) previous = {id, name: stage.name}
  }
  // from here SLURM holds the run: the job ids, not this process, say whether it lives
  const {supervisor_pid: _handedOver, supervisor_start: _start, ...rest} = record
  return writeRun(expDir, rest, request.now())
}

async function failSubmission(
  record: RunRecord,
  failedAt: number,
  failure: string,
  context: LaunchRequest,
): Promise<RunRecord> {
  const submitted = record.stages.filter((s, j) => j < failedAt && s.job_id).map((s) => s.job_id!)
  let cancelled = ''
  if (submitted.length > 0) {
    try {
      const r = await runSlurm('scancel', submitted, {env: context.env})
      cancelled =
        r.code === 0
          ? `; cancelled job ${submitted.join(', ')}`
          : `; scancel ${submitted.join(' ')} failed: ${slurmMessage(r)}`
    } catch (error) {
      cancelled = `; scancel failed: ${messageOf(error)}`
    }
  }
  const at = context.now().toISOString()
  const failedName = record.stages[failedAt].name
  const failed = record.stages.map((s, j) =>
    j === failedAt
      ? {...s, ended_at: at, exit_code: null, reason: `sbatch failed: ${failure}`, state: 'failed' as const}
      : s,
  )
  const stages = endStages(failed, 'cancelled', `${failedName} could not be submitted`, at)
  const next = await writeRun(
    context.experiment.dir,
    {...record, reason: `sbatch failed for ${failedName}: ${failure}`, stages},
    context.now(),
  )
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

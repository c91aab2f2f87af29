import os from 'node:os'

import {messageOf} from '../../errors.js'
import {isSameProcess} from '../../lib/process-identity.js'
import {
  isLive,
  type RunRecord,
  type RunState,
  runDir,
  type StageRecord,
  supervisorIdentity,
  writeRun,
} from '../../runs/record.js'
import type {BackendContext, RunRef} from '../backend.js'
import {isEvaluateStage} from '../../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../../launch/launch-log.js'
import {withCommittedCheckpoint} from '../../launch/checkpoint-gate.js'
import {judgeEvaluation} from '../evaluation.js'
import {type Observation, observationKey, observeJobs, RAN_STATES} from './observe.js'
import {describeSlurm, isTerminalSlurmState, mapSlurmState, parseExitCode} from './states.js'

export {SQUEUE_FORMAT} from './observe.js'

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
      next.reason = end
        ? `${why}; the engine received SIGTERM`
        : RAN_STATES.has(slurm.state)
          ? `${why}; the job wrote no end record`
          : why
    }
    return next
  }
  if (end) {
    // slurmctld has forgotten the job, but it caught SIGTERM: it was stopped, and nothing says why
    return {
      ...base,
      exit_code: end.exitCode,
      reason: `the engine received SIGTERM; SLURM no longer knows job ${id}`,
      signal: `SIG${end.signal}`,
      state: 'interrupted',
    }
  }
  return {
    ...base,
    exit_code: null,
    reason: `SLURM no longer knows job ${id} and it wrote no end record`,
    state: 'interrupted',
  }
}

export async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
  const observations = await observeJobs(runs, context)
  if (!observations) return runs.map((r) => r.record)

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

async function refreshRun(
  ref: RunRef,
  observations: Map<string, Observation>,
  context: BackendContext,
): Promise<RunRecord> {
  const {experimentDir, record} = ref
  if (!isLive(record.state)) return record
  const now = context.now()
  const dir = runDir(experimentDir, record.run_id)
  const entries: LaunchLogEntry[] = []
  const supervised =
    record.supervisor_pid !== undefined &&
    (!record.host || record.host === os.hostname()) &&
    isSameProcess(supervisorIdentity(record))
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
      const next: StageRecord = {
        ...stage,
        ended_at: now.toISOString(),
        reason: `not run: ${stopper.name} ${stopper.state}`,
        state,
      }
      entries.push({
        action: stage.name,
        description: `not run${stage.job_id ? ` (SLURM job ${stage.job_id})` : ''}`,
        details: next.reason,
        result: state,
      })
      return next
    }
    if (!stage.job_id) {
      if (supervised) return stage
      const next: StageRecord = {
        ...stage,
        ended_at: now.toISOString(),
        reason: 'never submitted: the exp process that launched it stopped first',
        state: 'interrupted',
      }
      entries.push({action: stage.name, description: 'never submitted', details: next.reason, result: 'interrupted'})
      stopper = next
      return next
    }
    if (!obs) return stage
    const next = withCommittedCheckpoint(experimentDir, record, decideStage(stage, obs, now))
    if (!isLive(next.state)) {
      const how =
        next.reason ?? (next.exit_code === null || next.exit_code === undefined ? '' : `exit code ${next.exit_code}`)
      entries.push({
        action: stage.name,
        description: `SLURM job ${stage.job_id} ended`,
        details: how || undefined,
        result: next.state,
      })
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
    const justCompleted =
      isEvaluateStage(stage.name) && stage.state === 'completed' && record.stages[i].state !== 'completed'
    if (justCompleted) next = await judgeReport(experimentDir, next, i, context, note)
  }
  if (!isLive(next.state)) {
    await note({
      action: 'run',
      description: `run ${next.run_id} finished`,
      details: next.stages.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join('; '),
      result: next.state,
    })
  }
  return next
}

/** After a completed evaluate: the one evaluation-outcome step every backend shares. */
async function judgeReport(
  experimentDir: string,
  record: RunRecord,
  i: number,
  context: BackendContext,
  note: (e: LaunchLogEntry) => Promise<void>,
): Promise<RunRecord> {
  const outcome = await judgeEvaluation(experimentDir, record, i, context.ws.settings.gates, context.now())
  if (!outcome) return record
  await note(outcome.entry)
  if (!outcome.failure) return record
  return writeRun(
    experimentDir,
    {
      ...record,
      stages: record.stages.map((s, j) => (j === i ? {...s, reason: outcome.failure, state: 'failed' as RunState} : s)),
    },
    context.now(),
  )
}

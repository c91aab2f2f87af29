import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError, filesystemError, messageOf} from '../errors.js'
import {diskFullNote} from '../lib/disk-space.js'
import {identify, processStart} from '../lib/process-identity.js'
import {formatDuration} from '../lib/time.js'
import {runDir, type RunRecord, type RunState, type StageRecord, supervisorFields, writeRun} from '../runs/record.js'
import type {BackendContext, LaunchIO} from './backend.js'
import {blockedBy, displayCommand, isEvaluateStage} from '../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../launch/launch-log.js'
import {startEngine, tailFile} from './engine-process.js'
import {endStages} from './stages.js'

/**
 * The local backend's supervisor loop: the stages of one run, in order, as child processes of this exp process
 * (the `exp launch` in the foreground, or the detached `exp launch-worker`).
 */

/** How long an engine gets after SIGINT before SIGTERM, and after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2000

/**
 * What a run needs only once an engine has run (the checkpoint check and commit, the evaluation's verdict): loaded
 * while the first engine runs, off the path from `exp launch` to that engine's start.
 */
let afterStart: Promise<[typeof import('../launch/checkpoint-gate.js'), typeof import('./evaluation.js')]> | undefined
const loadAfterStart = () =>
  (afterStart ??= Promise.all([import('../launch/checkpoint-gate.js'), import('./evaluation.js')]))

/**
 * Run the queued stages of a run in order, in this process: train, then evaluate only if train completed.
 * run.json is rewritten atomically on every transition; launch.log gets one entry per event. When `io.signal`
 * aborts (SIGINT/SIGTERM), the running stage's process group is stopped and the run is marked interrupted.
 */
export async function runStages(
  experimentDir: string,
  initial: RunRecord,
  context: BackendContext,
  io: LaunchIO = {},
): Promise<RunRecord> {
  const logFile = launchLogFile(runDir(experimentDir, initial.run_id))
  // launch.log entries are appended in order, one after another, while the run goes on: between two engines and
  // after the last one nothing waits for them; every one is written (or its error thrown) before an engine starts
  // and before the run returns
  let appending: Promise<void> = Promise.resolve()
  let appendError: unknown
  const note = (entry: LaunchLogEntry): Promise<void> => {
    const at = context.now()
    appending = appending
      .then(() => appendLaunchLog(logFile, entry, at))
      .catch((error: unknown) => {
        appendError ??= error
      })
    return appending
  }
  const notesWritten = async () => {
    await appending
    if (appendError !== undefined) throw appendError
  }
  // the supervisor (this process) and its host go into the record; `exp launch` in the foreground wrote the queued
  // record as this process already, so it is not rewritten (one fsynced write less before the first engine starts)
  const supervisor = {host: os.hostname(), ...supervisorFields(identify())}
  const own = Object.entries(supervisor).every(([key, value]) => initial[key as keyof RunRecord] === value)
  let record = own ? initial : await writeRun(experimentDir, {...initial, ...supervisor}, context.now())
  const patchStage = async (i: number, patch: Partial<StageRecord>) => {
    record = await writeRun(
      experimentDir,
      {...record, stages: record.stages.map((s, j) => (j === i ? {...s, ...patch} : s))},
      context.now(),
    )
  }

  try {
    await runQueued()
    await notesWritten()
  } catch (error) {
    throw await recordBreakdown(error)
  }
  return record

  async function runQueued(): Promise<void> {
    for (let i = 0; i < record.stages.length; i++) {
      const stage = record.stages[i]
      if (stage.state !== 'queued') continue
      const blocker = record.stages.slice(0, i).find((s) => s.state !== 'completed' && blockedBy(stage.name, s.name))
      if (blocker || io.signal?.aborted) {
        const interrupted = io.signal?.aborted || blocker?.state === 'interrupted'
        const state: RunState = interrupted ? 'interrupted' : 'cancelled'
        const reason = blocker
          ? `${blocker.name} ${blocker.state === 'failed' ? 'failed' : blocker.state}`
          : 'run interrupted before it started'
        await patchStage(i, {ended_at: context.now().toISOString(), reason, state})
        await note({action: stage.name, description: 'not started', details: reason, result: state})
        continue
      }
      await runOneStage(i)
    }

    const elapsed = Date.parse(record.updated_at) - Date.parse(record.created_at)
    void note({
      action: 'run',
      description: `run ${record.run_id} finished`,
      details: record.stages.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join('; '),
      result: `${record.state} after ${shortDuration(elapsed)}`,
    })
  }

  /**
   * exp could not write what happened (a full disk, an I/O error) and has stopped the engine it ran: record the
   * run `failed` with the reason when the record can still be written, and fail in one line.
   */
  async function recordBreakdown(error: unknown): Promise<unknown> {
    const problem = filesystemError(error)
    if (!problem) return error
    const at = context.now().toISOString()
    const reason = problem.message.replace(/\.$/, '')
    const stages = endStages(record.stages, 'failed', reason, at, {keepEnded: true})
    const recorded = await writeRun(experimentDir, {...record, reason, stages}, context.now()).then(
      () => true,
      () => false,
    )
    return new ExpError(
      `run ${record.run_id} stopped: ${reason}${recorded ? '' : ' (the run record could not be updated either)'}.`,
      {code: problem.code},
    )
  }

  async function runOneStage(i: number): Promise<void> {
    const stage = record.stages[i]
    // the quick check of the checkpoint an evaluation reads (a train reads none)
    const blocked = isEvaluateStage(stage.name)
      ? await (await loadAfterStart())[0].checkpointBlocker(experimentDir, record, stage)
      : undefined
    if (blocked) {
      // the engine is never started on a checkpoint that fails the quick check
      const at = context.now().toISOString()
      await patchStage(i, {ended_at: at, exit_code: null, reason: blocked, started_at: at, state: 'failed'})
      context.log(`${stage.name}: failed: ${blocked}`)
      await note({action: stage.name, description: 'not started', details: blocked, result: 'failed'})
      return
    }
    const [file, ...args] = stage.command
    const logPath = path.join(experimentDir, stage.log)
    const env = context.env ?? process.env
    const startedAt = context.now()
    const offset = (await fs.stat(logPath).catch(() => undefined))?.size ?? 0
    await notesWritten()
    const child = await startEngine(file, args, {
      cwd: stage.cwd,
      env: {...env, PYTHONUNBUFFERED: env.PYTHONUNBUFFERED ?? '1'},
      log: logPath,
    })
    const tail = io.output ? tailFile(logPath, offset, io.output) : undefined
    let stoppedBy: string | undefined
    let killTimers: NodeJS.Timeout[] = []
    const stop = (why?: string) => {
      if (child.pid === undefined || stoppedBy) return
      stoppedBy = why ?? (typeof io.signal?.reason === 'string' ? io.signal.reason : 'interrupt')
      killTimers = signalGroupEscalating(child.pid)
    }
    const onAbort = () => stop()
    io.signal?.addEventListener('abort', onAbort, {once: true})
    if (io.signal?.aborted) stop()
    try {
      if (child.pid !== undefined) {
        await patchStage(i, {
          pid: child.pid,
          pid_start: processStart(child.pid),
          started_at: startedAt.toISOString(),
          state: 'running',
        })
        context.log(`${stage.name}: started (pid ${child.pid}), log ${stage.log}`)
        await note({
          action: stage.name,
          description: `started ${displayCommand(stage.command)}`,
          details: [`pid ${child.pid}; cwd ${stage.cwd}`, `log ${stage.log}`],
          result: 'running',
        })
      }
    } catch (error) {
      // exp cannot record the engine it started (a full disk, an I/O error): stop it rather than orphan it
      stop(`exp: ${messageOf(error)}`)
      await child.exited
      for (const t of killTimers) clearTimeout(t)
      await tail?.stop()
      throw error
    }
    // the manifest's git commit, looked up while the engine trains (the commit it started from), not after it
    const gate = loadAfterStart().then(([loaded]) => loaded)
    gate.catch(() => {}) // awaited below only when the stage completed
    const commitLookup =
      stage.name === 'train' && child.pid !== undefined
        ? gate.then((loaded) => loaded.gitCommit(experimentDir)).catch(() => null)
        : undefined
    const result = await child.exited
    io.signal?.removeEventListener('abort', onAbort)
    for (const t of killTimers) clearTimeout(t)
    await tail?.stop()

    const endedAt = context.now()
    const took = shortDuration(endedAt.getTime() - startedAt.getTime())
    let patch: Partial<StageRecord>
    if (result.exitCode === undefined && result.signal === undefined) {
      // it never ran: the executable is missing or not executable
      const reason = cannotStart(file, result.code, result.cause)
      await fs.appendFile(logPath, `exp: ${reason}\n`)
      io.output?.(`exp: ${reason}\n`)
      patch = {exit_code: null, reason, started_at: startedAt.toISOString(), state: 'failed'}
    } else if (stoppedBy) {
      patch = {
        exit_code: result.exitCode ?? null,
        reason: `stopped by ${stoppedBy}`,
        signal: result.signal ?? null,
        state: 'interrupted',
      }
    } else if (result.exitCode === 0) {
      patch = {exit_code: 0, signal: null, state: 'completed'}
    } else {
      patch = {exit_code: result.exitCode ?? null, signal: result.signal ?? null, state: 'failed'}
      const full = result.signal ? undefined : await diskFullNote(logPath)
      if (result.signal) patch.reason = `was killed by ${result.signal}`
      else if (full) patch.reason = `exited with code ${result.exitCode} (${full})`
    }
    const ended = {...patch, ended_at: endedAt.toISOString()}
    // a completed train's checkpoint is hashed and committed while its end is recorded, not after
    const commit =
      patch.state === 'completed'
        ? gate.then((loaded) =>
            loaded.commitAfterStage(experimentDir, record, {...stage, ...ended}, context.now, commitLookup),
          )
        : undefined
    commit?.catch(() => {}) // awaited below, once the stage's end is recorded
    await patchStage(i, ended)
    const how =
      patch.reason ?? (patch.exit_code === null || patch.exit_code === undefined ? '' : `exit code ${patch.exit_code}`)
    context.log(`${stage.name}: ${patch.state}${how ? ` (${how})` : ''} after ${took}`)
    void note({
      action: stage.name,
      description: 'finished',
      details: `${how || 'no exit code'} after ${took}`,
      result: patch.state!,
    })
    const committed = await commit
    if (committed) {
      await patchStage(i, committed.patch)
      for (const line of committed.lines) context.log(line)
      void note(committed.entry)
    }
    if (isEvaluateStage(stage.name) && patch.state === 'completed') await judgeReport(i)
  }

  /** After a completed evaluate: the one evaluation-outcome step every backend shares. */
  async function judgeReport(i: number): Promise<void> {
    const [, {judgeEvaluation}] = await loadAfterStart()
    const outcome = await judgeEvaluation(experimentDir, record, i, context.ws.settings.gates, context.now())
    if (!outcome) return
    if (outcome.failure) await patchStage(i, {reason: outcome.failure, state: 'failed'})
    if (outcome.line) context.log(outcome.line)
    void note(outcome.entry)
  }
}

/** `cannot start python3: not found` */
export function cannotStart(file: string, code: unknown, cause: unknown): string {
  if (code === 'ENOENT') return `cannot start ${file}: not found`
  if (code === 'EACCES') return `cannot start ${file}: permission denied (not executable)`
  return `cannot start ${file}: ${typeof code === 'string' ? code : messageOf(cause)}`
}

/** SIGINT to a process group, then SIGTERM, then SIGKILL, each after a grace period; returns the timers. */
export function signalGroupEscalating(pid: number, grace = KILL_GRACE_MS): NodeJS.Timeout[] {
  signalGroup(pid, 'SIGINT')
  return [
    setTimeout(() => signalGroup(pid, 'SIGTERM'), grace),
    setTimeout(() => signalGroup(pid, 'SIGKILL'), 2 * grace),
  ]
}

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** 0.4s, 12.3s, then 2m05s: short stages are common, and "0s" says nothing. */
function shortDuration(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDuration(ms)
}

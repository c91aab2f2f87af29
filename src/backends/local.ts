import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError, filesystemError, messageOf} from '../errors.js'
import {identify, isSameProcess, processStart, signalIfSame} from '../lib/process-identity.js'
import {formatDuration, sleep} from '../lib/time.js'
import {applyGates, describeCheck} from '../reports/gates.js'
import {isLive, readRun, runDir, runFile, type RunRecord, type RunState, stageIdentity, type StageRecord, supervisorFields, supervisorIdentity, writeRun} from '../runs/record.js'
import type {Backend, BackendContext, CollectResult, LaunchIO, LaunchRequest, PreparedRun, RunRef} from './backend.js'
import {checkpointBlocker, commitAfterStage} from '../launch/checkpoint-gate.js'
import {blockedBy, displayCommand, isEvaluateStage, stageReport} from '../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../launch/launch-log.js'
import {queuedRecord} from '../launch/plan.js'
import {startEngine, tailFile} from './engine-process.js'
import {SUPERVISOR_LOG, startSupervisor} from './local-supervisor.js'

/**
 * The local backend: the stages run on this machine as child processes of an exp process (the supervisor), from
 * their argument lists (no shell), each in its own process group so that a stop reaches everything the engine
 * started. The supervisor is the `exp launch` in the foreground, or with --detach a background
 * `exp launch-worker` that owns the run.
 */

/** How long an engine gets after SIGINT before SIGTERM, and after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000

async function prepare(request: LaunchRequest): Promise<PreparedRun> {
  const record = queuedRecord(request, 'local')
  const files = [runFile(request.experiment.dir, request.runId), launchLogFile(request.runDir), ...request.stages.map((s) => s.log)]
  if (request.detach) files.push(path.join(request.runDir, SUPERVISOR_LOG))
  if (request.stages.some((s) => s.name === 'train')) files.push(request.checkpointDir + path.sep)
  if (request.reports) files.push(...Object.values(request.reports))
  else if (request.stages.some((s) => s.name === 'evaluate')) files.push(request.report)
  return {commands: request.stages.map((s) => [...s.argv]), files, record, request}
}

async function submit(prepared: PreparedRun, io: LaunchIO): Promise<RunRecord> {
  const {request} = prepared
  if (request.dryRun) return prepared.record
  if (request.detach) return startSupervisor(prepared)
  return runStages(request.experiment.dir, prepared.record, request, io)
}

/**
 * Run the queued stages of a run in order, in this process: train, then evaluate only if train completed.
 * run.json is rewritten atomically on every transition; launch.log gets one entry per event. When `io.signal`
 * aborts (SIGINT/SIGTERM), the running stage's process group is stopped and the run is marked interrupted.
 */
export async function runStages(experimentDir: string, initial: RunRecord, context: BackendContext, io: LaunchIO = {}): Promise<RunRecord> {
  const logFile = launchLogFile(runDir(experimentDir, initial.run_id))
  const note = (entry: LaunchLogEntry) => appendLaunchLog(logFile, entry, context.now())
  let record = await writeRun(experimentDir, {...initial, host: os.hostname(), ...supervisorFields(identify())}, context.now())
  const patchStage = async (i: number, patch: Partial<StageRecord>) => {
    record = await writeRun(experimentDir, {...record, stages: record.stages.map((s, j) => (j === i ? {...s, ...patch} : s))}, context.now())
  }

  try {
    await runQueued()
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
        const reason = blocker ? `${blocker.name} ${blocker.state === 'failed' ? 'failed' : blocker.state}` : 'run interrupted before it started'
        await patchStage(i, {ended_at: context.now().toISOString(), reason, state})
        await note({action: stage.name, description: 'not started', details: reason, result: state})
        continue
      }
      await runOneStage(i)
    }

    const elapsed = Date.parse(record.updated_at) - Date.parse(record.created_at)
    await note({action: 'run', description: `run ${record.run_id} finished`, details: record.stages.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join('; '), result: `${record.state} after ${shortDuration(elapsed)}`})
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
    const stages = record.stages.map((s) => (isLive(s.state) ? {...s, ended_at: s.ended_at ?? at, reason, state: 'failed' as const} : s))
    const recorded = await writeRun(experimentDir, {...record, reason, stages}, context.now()).then(
      () => true,
      () => false,
    )
    return new ExpError(`run ${record.run_id} stopped: ${reason}${recorded ? '' : ' (the run record could not be updated either)'}.`, {code: problem.code})
  }

  async function runOneStage(i: number): Promise<void> {
    const stage = record.stages[i]
    const blocked = await checkpointBlocker(experimentDir, record, stage)
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
    const child = await startEngine(file, args, {cwd: stage.cwd, env: {...env, PYTHONUNBUFFERED: env.PYTHONUNBUFFERED ?? '1'}, log: logPath})
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
        await patchStage(i, {pid: child.pid, pid_start: processStart(child.pid), started_at: startedAt.toISOString(), state: 'running'})
        context.log(`${stage.name}: started (pid ${child.pid}), log ${stage.log}`)
        await note({action: stage.name, description: `started ${displayCommand(stage.command)}`, details: [`pid ${child.pid}; cwd ${stage.cwd}`, `log ${stage.log}`], result: 'running'})
      }
    } catch (error) {
      // exp cannot record the engine it started (a full disk, an I/O error): stop it rather than orphan it
      stop(`exp: ${messageOf(error)}`)
      await child.exited
      for (const t of killTimers) clearTimeout(t)
      await tail?.stop()
      throw error
    }
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
      patch = {exit_code: result.exitCode ?? null, reason: `stopped by ${stoppedBy}`, signal: result.signal ?? null, state: 'interrupted'}
    } else if (result.exitCode === 0) {
      patch = {exit_code: 0, signal: null, state: 'completed'}
    } else {
      patch = {exit_code: result.exitCode ?? null, signal: result.signal ?? null, state: 'failed'}
      if (result.signal) patch.reason = `was killed by ${result.signal}`
    }
    await patchStage(i, {...patch, ended_at: endedAt.toISOString()})
    const how = patch.reason ?? (patch.exit_code === null || patch.exit_code === undefined ? '' : `exit code ${patch.exit_code}`)
    context.log(`${stage.name}: ${patch.state}${how ? ` (${how})` : ''} after ${took}`)
    await note({action: stage.name, description: 'finished', details: `${how || 'no exit code'} after ${took}`, result: patch.state!})
    const committed = patch.state === 'completed' ? await commitAfterStage(experimentDir, record, record.stages[i], context.now) : undefined
    if (committed) {
      await patchStage(i, committed.patch)
      for (const line of committed.lines) context.log(line)
      await note(committed.entry)
    }
    if (isEvaluateStage(stage.name) && patch.state === 'completed') await judgeReport(i)
  }

  /** After a completed evaluate: the report must exist if the command named it; exp's gates when it has none. */
  async function judgeReport(i: number): Promise<void> {
    const report = stageReport(record, record.stages[i].name)
    if (!report) return
    const reportFile = path.join(experimentDir, report)
    const outcome = await applyGates(reportFile, context.ws.settings.gates, context.now())
    if (outcome.decided_by === 'none') {
      // a missing or unreadable report fails the stage only when the command was given the report path to write
      const named = record.stages[i].command.some((a) => a.includes(report))
      if (outcome.report !== 'ok' && named) {
        const reason = `exited 0 but ${outcome.reason} (${report})`
        await patchStage(i, {reason, state: 'failed'})
        context.log(`${record.stages[i].name}: failed: ${reason}`)
        await note({action: 'report', description: `no usable report at ${report}`, details: outcome.reason, result: `${record.stages[i].name} failed`})
      } else {
        await note({action: 'report', description: `${report}: no verdict`, details: outcome.reason, result: 'no gates_passed'})
      }
      return
    }
    if (outcome.decided_by === 'engine') {
      await note({action: 'report', description: `${report} written by the engine`, result: `gates_passed: ${String(outcome.passed)}`})
      return
    }
    const details = outcome.checks.map((c) => describeCheck(c))
    context.log(`gates: ${report} had no gates_passed; exp decided it from exp.yaml gates: ${details.join('; ')} → gates_passed ${outcome.passed}`)
    await note({action: 'gates', description: `exp decided the gates of ${report} (the report had no gates_passed)`, details, result: `gates_passed: ${outcome.passed} (recorded in the report under "${outcome.field}")`})
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
  return [setTimeout(() => signalGroup(pid, 'SIGTERM'), grace), setTimeout(() => signalGroup(pid, 'SIGKILL'), 2 * grace)]
}

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * A local run is alive while the exp process supervising it is. When that process is gone (SIGKILL, a reboot)
 * but the record still says queued/running, the run was interrupted: say so, never "running forever".
 */
async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
  const out: RunRecord[] = []
  for (const {experimentDir, record: seen} of runs) {
    if (!isLive(seen.state) || (seen.host && seen.host !== os.hostname()) || isSameProcess(supervisorIdentity(seen))) {
      out.push(seen)
      continue
    }
    // the supervisor may have finished the run and exited since the record was read: decide on the file as it is now
    const record = await readRun(runFile(experimentDir, seen.run_id)).catch(() => seen)
    if (!isLive(record.state) || isSameProcess(supervisorIdentity(record))) {
      out.push(record)
      continue
    }
    const now = context.now()
    const reason = `exp process (PID ${record.supervisor_pid ?? '?'}) is gone`
    // its engine lives in its own process group and may outlive it (until it next writes to the closed pipe); say so
    const orphan = (s: StageRecord) => (s.state === 'running' && isSameProcess(stageIdentity(record, s)) ? `; its engine (process group ${s.pid}) may still be running` : '')
    const stages = record.stages.map((s) => (isLive(s.state) ? {...s, ended_at: s.ended_at ?? now.toISOString(), reason: reason + orphan(s), state: 'interrupted' as const} : s))
    out.push(await writeRun(experimentDir, {...record, reason, stages}, now))
  }
  return out
}

/**
 * Stop a live local run: SIGTERM to its supervisor (which stops the engine's process group and exits), then
 * anything left is killed, and the stages that were live are recorded `cancelled`.
 */
async function cancel(run: RunRef, context: BackendContext): Promise<RunRecord> {
  const {experimentDir, record} = run
  if (!isLive(record.state)) return record
  if (record.host && record.host !== os.hostname()) {
    throw new ExpError(`run ${record.run_id} was started on ${record.host}; cancel it there.`, {code: 'OTHER_HOST'})
  }
  const live = new Set(record.stages.filter((s) => isLive(s.state)).map((s) => s.name))
  const supervisor = record.supervisor_pid
  const identity = supervisorIdentity(record)
  // a pid that now belongs to another process (reused after a reboot, or by chance) is never signalled
  const owned = supervisor !== undefined && supervisor !== process.pid && signalIfSame(identity, 'SIGTERM')
  if (owned) {
    // done when it is gone, or has recorded every stage as ended (its last write to run.json; a process that
    // exited may stay visible until its new parent reaps it, so waiting for the pid alone can take long)
    const file = runFile(experimentDir, record.run_id)
    const ended = async () => (await readRun(file).catch(() => record)).stages.every((s) => !isLive(s.state))
    await waitUntil(async () => !isSameProcess(identity) || (await ended()), 4 * KILL_GRACE_MS + 2000)
  }
  const current = await readRun(runFile(experimentDir, record.run_id)).catch(() => record)
  for (const s of current.stages) if (live.has(s.name)) signalIfSame(stageIdentity(current, s), 'SIGKILL', true)
  // a supervisor that did not record the end of the run in time is stuck: kill it (one that did is just exiting)
  if (owned && current.stages.some((s) => isLive(s.state))) signalIfSame(identity, 'SIGKILL')
  const now = context.now()
  const reason = 'cancelled by exp cancel'
  const stages = current.stages.map((s) =>
    live.has(s.name) && (isLive(s.state) || s.state === 'interrupted') ? {...s, ended_at: s.ended_at ?? now.toISOString(), reason, state: 'cancelled' as const} : s,
  )
  const next = await writeRun(experimentDir, {...current, reason, stages}, now)
  await appendLaunchLog(launchLogFile(runDir(experimentDir, record.run_id)), {action: 'cancel', description: `run ${record.run_id} cancelled`, details: owned ? `stopped supervisor PID ${supervisor}` : 'no supervisor was running', result: next.state}, now)
  return next
}

async function collect(run: RunRef): Promise<CollectResult> {
  return {files: [], message: `run ${run.record.run_id} ran locally and wrote into the experiment directory; nothing to collect.`, record: run.record}
}

export const localBackend: Backend = {cancel, collect, name: 'local', prepare, refresh, submit}

async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await done()) return true
    await sleep(25)
  }
  return done()
}

/** 0.4s, 12.3s, then 2m05s: short stages are common, and "0s" says nothing. */
function shortDuration(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDuration(ms)
}

import os from 'node:os'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {isSameProcess, signalIfSame} from '../lib/process-identity.js'
import {sleep} from '../lib/time.js'
import {
  isLive,
  readRun,
  runDir,
  runFile,
  type RunRecord,
  stageIdentity,
  type StageRecord,
  supervisorIdentity,
  writeRun,
} from '../runs/record.js'
import type {Backend, BackendContext, CollectResult, LaunchIO, LaunchRequest, PreparedRun, RunRef} from './backend.js'
import {appendLaunchLog, launchLogFile} from '../launch/launch-log.js'
import {queuedRecord} from '../launch/plan.js'
import {KILL_GRACE_MS, runStages} from './local-run.js'
import {SUPERVISOR_LOG, startSupervisor} from './local-supervisor.js'
import {endStages} from './stages.js'

/**
 * The local backend: the stages run on this machine as child processes of an exp process (the supervisor), from
 * their argument lists (no shell), each in its own process group so that a stop reaches everything the engine
 * started. The supervisor is the `exp launch` in the foreground, or with --detach a background
 * `exp launch-worker` that owns the run.
 */

async function prepare(request: LaunchRequest): Promise<PreparedRun> {
  const record = queuedRecord(request, 'local')
  const files = [
    runFile(request.experiment.dir, request.runId),
    launchLogFile(request.runDir),
    ...request.stages.map((s) => s.log),
  ]
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
    const orphan = (s: StageRecord) =>
      s.state === 'running' && isSameProcess(stageIdentity(record, s))
        ? `; its engine (process group ${s.pid}) may still be running`
        : ''
    const stages = endStages(record.stages, 'interrupted', reason, now.toISOString(), {
      keepEnded: true,
      reasonOf: (s) => reason + orphan(s),
    })
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
  const stages = endStages(current.stages, 'cancelled', reason, now.toISOString(), {
    keepEnded: true,
    only: (s) => live.has(s.name) && (isLive(s.state) || s.state === 'interrupted'),
  })
  const next = await writeRun(experimentDir, {...current, reason, stages}, now)
  await appendLaunchLog(
    launchLogFile(runDir(experimentDir, record.run_id)),
    {
      action: 'cancel',
      description: `run ${record.run_id} cancelled`,
      details: owned ? `stopped supervisor PID ${supervisor}` : 'no supervisor was running',
      result: next.state,
    },
    now,
  )
  return next
}

async function collect(run: RunRef): Promise<CollectResult> {
  return {
    files: [],
    message: `run ${run.record.run_id} ran locally and wrote into the experiment directory; nothing to collect.`,
    record: run.record,
  }
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

import path from 'node:path'

import {EXIT, ExpError, messageOf} from '../errors.js'
import {withLock} from '../lib/lock.js'
import {sleep} from '../lib/time.js'
import {isLive, readRun, type RunRecord, runDir, runFile, writeRun} from '../runs/record.js'
import type {Backend, BackendContext, CollectResult, LaunchIO, PreparedRun, RunRef} from './backend.js'
import {collectLocked} from './vast/collect.js'
import {cliFor, isAuthError, log, rowsById, type Step} from './vast/common.js'
import {advance} from './vast/lifecycle.js'
import {prepare} from './vast/prepare.js'
import {rent} from './vast/rent.js'
import {currentAttempt, endLiveStages, summarize, vastData} from './vast/state.js'

/**
 * The vast.ai backend: rents the cheapest matching GPU offer, ships the experiment there as a payload, lets the
 * instance run train → evaluate and stop itself, and brings the results home. Every vastai call goes through
 * VastCli (vast/cli.ts); the scripts are in vast/scripts.ts; the record's backend_data in vast/state.ts.
 */
const RUN_LOCK = '.vast.lock'
/** the launch waits for `running` with polls no further apart than this (exp.yaml poll_interval if shorter) */
const SUBMIT_POLL_MAX_S = 10

/**
 * The per-run lock (src/lib/lock.ts): one process at a time acts on a run's instance (uploads, destroys, rents).
 * Held elsewhere → LOCKED with the lock exit code, whoever asks.
 */
async function underRunLock<T>(experimentDir: string, runId: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  let inside = false
  try {
    return await withLock(path.join(runDir(experimentDir, runId), RUN_LOCK), () => ((inside = true), fn()), {
      command: `vast ${runId}`,
      waitMs,
    })
  } catch (error) {
    if (!inside && error instanceof ExpError && error.code === 'LOCKED') {
      throw new ExpError(`run ${runId} is being handled by another exp process (its lock is held).`, {
        code: 'LOCKED',
        exit: EXIT.locked,
        suggestion: 'try again in a moment.',
      })
    }
    throw error
  }
}

function isLocked(error: unknown): boolean {
  return error instanceof ExpError && error.code === 'LOCKED'
}

/**
 * Rent an instance; unless detached, wait until it runs and the payload is on it (handling a stuck or dying
 * instance on the way), then return: the instance runs the job and stops itself; `exp watch` follows it and
 * collects. Ctrl-C while waiting destroys the instance (nothing is left renting) and records `interrupted`.
 */
async function submit(prepared: PreparedRun, io: LaunchIO): Promise<RunRecord> {
  const request = prepared.request
  const experimentDir = request.experiment.dir
  const cli = cliFor(request)
  return underRunLock(experimentDir, request.runId, 10_000, async () => {
    let record = await rent(
      {cli, context: request, experimentDir, record: prepared.record},
      vastData(prepared.record).candidates,
    )
    if (request.detach) {
      request.log(
        `vast.ai: the payload is uploaded once the instance runs, by exp watch ${request.experiment.name} (or exp runs / exp list).`,
      )
      return record
    }
    const pollMs = Math.min(vastData(record).options.poll_interval, SUBMIT_POLL_MAX_S) * 1000
    let failures = 0
    for (;;) {
      const cur = currentAttempt(vastData(record))
      if (!isLive(record.state) || cur?.uploaded_at) return record
      await sleep(pollMs, io.signal)
      if (io.signal?.aborted) return interrupt({cli, context: request, experimentDir, record})
      try {
        const rows = rowsById(await cli.showInstances())
        record = await advance({cli, context: request, experimentDir, record}, rows, true)
        failures = 0
      } catch (error) {
        // the instance exists: never throw now (launch would forget it); report and keep trying a while
        failures++
        request.log(`vast.ai: ${messageOf(error)}`)
        record = await readRun(runFile(experimentDir, request.runId)).catch(() => record) // what advance saved before it failed
        if (failures >= 5 || isAuthError(error)) {
          request.log(
            `vast.ai: stopped waiting; exp watch ${request.experiment.name} takes over (or exp cancel ${request.experiment.name}).`,
          )
          return readRun(runFile(experimentDir, request.runId)).catch(() => record)
        }
      }
    }
  })
}

async function interrupt(step: Step): Promise<RunRecord> {
  const {cli, context, experimentDir} = step
  const record = step.record
  const cur = currentAttempt(vastData(record))
  const now = context.now()
  let how = 'nothing was rented'
  if (cur?.instance_id !== undefined && !cur.destroyed_at) {
    try {
      await cli.destroyInstance(cur.instance_id)
      cur.destroyed_at = now.toISOString()
      how = `instance ${cur.instance_id} destroyed`
    } catch (error) {
      how = `destroying instance ${cur.instance_id} failed (${messageOf(error)}): destroy it yourself with vastai destroy instance ${cur.instance_id} -y`
    }
    cur.ended_at = now.toISOString()
    cur.outcome = 'interrupted'
  }
  const reason = `interrupted while waiting for the instance; ${how}`
  await log(experimentDir, record.run_id, {action: 'interrupt', description: reason, result: 'interrupted'}, now)
  const ended = {...record, reason, stages: endLiveStages(record.stages, 'interrupted', reason, now.toISOString())}
  summarize(ended, now)
  return writeRun(experimentDir, ended, now)
}

/** Does this run have anything on vast.ai to look at (live, or a stopped instance still billing disk)? */
function needsLook(record: RunRecord): boolean {
  if (record.backend !== 'vast' || !record.backend_data) return false
  const data = vastData(record)
  return isLive(record.state) || Boolean(data.instance_live) || Boolean(data.pending_create)
}

async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
  const targets = runs.filter((r) => needsLook(r.record))
  if (targets.length === 0) return runs.map((r) => r.record)
  const cli = cliFor(context)
  let rows: Map<number, Record<string, unknown>>
  try {
    rows = rowsById(await cli.showInstances())
  } catch (error) {
    context.log(`vast.ai: cannot refresh ${targets.length} run(s): ${messageOf(error)}`)
    return runs.map((r) => r.record)
  }
  const out: RunRecord[] = []
  for (const ref of runs) {
    if (!needsLook(ref.record)) {
      out.push(ref.record)
      continue
    }
    try {
      out.push(
        await underRunLock(ref.experimentDir, ref.record.run_id, 0, async () => {
          // the record on disk may be newer than the caller's copy (another process acted before we got the lock)
          const fresh = await readRun(runFile(ref.experimentDir, ref.record.run_id))
          return advance(
            {cli, context, experimentDir: ref.experimentDir, record: fresh},
            rows,
            Boolean(context.advance),
          )
        }),
      )
    } catch (error) {
      if (isLocked(error)) {
        // another exp process is acting on it: what it has recorded so far
        out.push(await readRun(runFile(ref.experimentDir, ref.record.run_id)).catch(() => ref.record))
        continue
      }
      context.log(`vast.ai: ${ref.record.experiment} run ${ref.record.run_id}: ${messageOf(error)}`)
      out.push(ref.record)
    }
  }
  return out
}

async function cancel(run: RunRef, context: BackendContext): Promise<RunRecord> {
  const cli = cliFor(context)
  return underRunLock(run.experimentDir, run.record.run_id, 10_000, async () => {
    const record = await readRun(runFile(run.experimentDir, run.record.run_id))
    const data = vastData(record)
    const cur = currentAttempt(data)
    const now = context.now()
    let how = 'no instance was rented'
    if (cur?.instance_id !== undefined && !cur.destroyed_at && cur.outcome !== 'vanished') {
      const existed = await cli.destroyInstance(cur.instance_id)
      cur.destroyed_at = now.toISOString()
      how = existed ? `instance ${cur.instance_id} destroyed` : `instance ${cur.instance_id} was already gone`
      if (isLive(record.state)) {
        cur.ended_at = now.toISOString()
        cur.outcome = 'cancelled'
      }
    }
    if (!isLive(record.state)) {
      // a finished run: cancel only stops what still bills (a stopped instance's disk)
      await log(
        run.experimentDir,
        record.run_id,
        {action: 'cancel', description: `run already ${record.state}; ${how}`, result: record.state},
        now,
      )
      summarize(record, now)
      context.log(`vast.ai: ${how}${data.collected_at ? '' : ' (its results were not collected)'}`)
      return writeRun(run.experimentDir, record, now)
    }
    const reason = `cancelled; ${how}`
    await log(run.experimentDir, record.run_id, {action: 'cancel', description: reason, result: 'cancelled'}, now)
    const ended = {
      ...record,
      reason,
      stages: endLiveStages(record.stages, 'cancelled', 'cancelled by exp cancel', now.toISOString()),
    }
    summarize(ended, now)
    return writeRun(run.experimentDir, ended, now)
  })
}

async function collect(run: RunRef, context: BackendContext): Promise<CollectResult> {
  const record0 = run.record
  if (isLive(record0.state))
    return {
      files: [],
      message: `run ${record0.run_id} is still ${record0.state}; its results come home once it has finished.`,
      record: record0,
    }
  return underRunLock(run.experimentDir, record0.run_id, 10_000, () => collectLocked(run, context, cliFor(context)))
}

/** A finished run whose results are still on its instance: the instance is not destroyed and nothing was collected. */
function awaitsCollect(record: RunRecord): boolean {
  if (isLive(record.state) || !record.backend_data) return false
  const data = vastData(record)
  const cur = currentAttempt(data)
  return !data.collected_at && cur?.instance_id !== undefined && !cur.destroyed_at && cur.outcome !== 'vanished'
}

export const vastBackend: Backend = {awaitsCollect, cancel, collect, name: 'vast', prepare, refresh, submit}

import {isLive, type RunRecord, writeRun} from '../../runs/record.js'
import {log, type Step} from './common.js'
import {fail} from './failed-instance.js'
import {groupUploadedAt} from './group.js'
import {
  currentAttempt,
  endLiveStages,
  finishStages,
  markRunning,
  phaseOf,
  summarize,
  type VastAttempt,
  vastData,
} from './state.js'
import {fetchMarker, type MarkerResult, upload} from './transfer.js'

/**
 * One step of a vast.ai run's life, from its instance's row in ONE `show instances` for all runs. Observing
 * (every refresh) records what the row says; acting (exp watch, exp collect, the launch's own wait, the background
 * worker, `exp runs --advance`) also uploads, fetches the exit marker, destroys and rents again — it may spend money.
 */
/** while a job runs, look for its exit marker this often, in case the instance failed to stop itself */
const MARKER_PROBE_MS = 10 * 60_000

/**
 * Bring one run up to date from its instance's row (from ONE `show instances` for all runs), acting where the
 * state calls for it: upload the payload once running, fetch the exit marker once stopped, destroy and retry once
 * when the instance sticks in loading past the deadline or dies without the marker. With `act` false it only
 * records what the row says (state, status message, an instance gone): no vastai call at all.
 */
export async function advance(
  step: Step,
  rows: Map<number, Record<string, unknown>>,
  act: boolean,
): Promise<RunRecord> {
  const {context, experimentDir} = step
  let record = step.record
  const data = vastData(record)
  const now = context.now()
  let adopted = false
  if (data.pending_create && act) {
    // a create whose answer was never recorded (exp was killed): find the instance by its label
    const known = new Set(data.attempts.map((a) => a.instance_id))
    const found = [...rows.values()].find((r) => r.label === data.label && !known.has(r.id as number))
    if (found && typeof found.id === 'number') {
      const offer = data.candidates.find((c) => c.id === data.pending_create!.offer_id)
      data.attempts.push({
        at: data.pending_create.at,
        created_at: data.pending_create.at,
        disk_dph: offer?.disk_dph ?? 0,
        dph_total: typeof found.dph_total === 'number' ? found.dph_total : (offer?.dph_total ?? 0),
        gpu: typeof found.gpu_name === 'string' ? found.gpu_name : (offer?.gpu ?? '?'),
        instance_id: found.id,
        machine_id: typeof found.machine_id === 'number' ? found.machine_id : null,
        num_gpus: typeof found.num_gpus === 'number' ? found.num_gpus : 1,
        offer_id: data.pending_create.offer_id,
      })
      delete data.pending_create
      adopted = true
      context.log(`vast.ai: found instance ${found.id} of run ${record.run_id} by its label ${data.label}`)
      if (!isLive(record.state)) {
        // the launch gave up without knowing the instance existed: nothing will use it, so it must not bill
        const cur = currentAttempt(data)!
        await step.cli.destroyInstance(found.id).catch(() => false)
        cur.destroyed_at = now.toISOString()
        cur.ended_at = now.toISOString()
        cur.outcome = 'cancelled'
        cur.reason = 'found after the launch had given up; destroyed'
      }
    } else if (now.getTime() - Date.parse(data.pending_create.at) > 10 * 60_000) {
      delete data.pending_create
      adopted = true // nothing to adopt: forget the create, and save that
    }
  }
  const cur = currentAttempt(data)
  if (!cur || cur.instance_id === undefined || cur.destroyed_at || cur.outcome === 'vanished') {
    summarize(record, now)
    return adopted ? writeRun(experimentDir, record, now) : record
  }
  const id = cur.instance_id
  const row = rows.get(id)

  if (!row) {
    if (isLive(record.state)) {
      cur.ended_at = now.toISOString()
      cur.outcome = 'vanished'
      cur.reason = `instance ${id} no longer exists (destroyed outside exp?)`
      record = {
        ...record,
        reason: cur.reason,
        stages: endLiveStages(record.stages, 'failed', cur.reason, now.toISOString()),
      }
      await log(experimentDir, record.run_id, {action: 'refresh', description: cur.reason, result: 'failed'}, now)
    } else {
      cur.destroyed_at ??= now.toISOString()
    }
    summarize(record, now)
    return writeRun(experimentDir, record, now)
  }

  const status = (row.actual_status ?? null) as string | null
  const changed = cur.state !== status
  cur.state = status
  cur.status_msg = typeof row.status_msg === 'string' ? row.status_msg : null
  const phase = phaseOf(status)
  if (phase === 'stopped') cur.stopped_at ??= now.toISOString()
  if (cur.shared && !cur.uploaded_at && act) cur.uploaded_at = await groupUploadedAt(experimentDir, record.run_id, cur)

  if (!isLive(record.state) || !act) {
    // a finished run whose instance still exists (stopped, not collected or kept), or a read-only look: bookkeeping only
    summarize(record, now)
    return writeRun(experimentDir, record, now)
  }
  if (changed)
    context.log(
      `vast.ai: ${record.experiment} run ${record.run_id}: instance ${id} is ${status ?? 'provisioning'}${cur.status_msg ? ` (${cur.status_msg})` : ''}`,
    )

  switch (phase) {
    case 'pending': {
      const deadline = data.options.loading_timeout_minutes * 60_000
      const since = Date.parse(cur.created_at ?? cur.at)
      if (now.getTime() - since > deadline) {
        return fail(
          step,
          record,
          cur,
          'loading-timeout',
          `instance ${id} was still ${status ?? 'provisioning'} after ${data.options.loading_timeout_minutes} min (the loading deadline)`,
        )
      }
      break
    }

    case 'running': {
      cur.running_at ??= now.toISOString()
      record = {...record, stages: markRunning(record.stages, cur.running_at)}
      if (!cur.uploaded_at) {
        record = await upload({...step, record}, cur)
      } else if (now.getTime() - Date.parse(cur.probed_at ?? cur.uploaded_at) > MARKER_PROBE_MS) {
        // safety net: a job that ended on an instance that could not stop itself would bill its GPU forever
        cur.probed_at = now.toISOString()
        const marker = await fetchMarker({...step, record}, id)
        // a shared instance stops only once every variant on it has run
        if (marker.found && (!cur.shared || cur.shared.done)) {
          context.log(`vast.ai: the job on instance ${id} has ended but the instance still runs; stopping it`)
          await step.cli.stopInstance(id)
          cur.stopped_at = now.toISOString()
          record = await finish({...step, record}, cur, marker, 'stopped by exp')
        }
      }
      break
    }

    case 'stopped': {
      if (!cur.uploaded_at) {
        return fail(
          step,
          record,
          cur,
          'exited-without-marker',
          `instance ${id} is ${status} and never received the payload`,
        )
      }
      const marker = await fetchMarker({...step, record}, id)
      if (marker.found) {
        record = await finish({...step, record}, cur, marker, status)
        break
      }
      if (marker.missing) {
        return fail(
          step,
          record,
          cur,
          'exited-without-marker',
          `instance ${id} is ${status} without the job's exit marker (the job did not finish)`,
        )
      }
      context.log(
        `vast.ai: cannot read the exit marker of instance ${id} yet (${marker.error ?? 'copy failed'}); will try again`,
      )
      break
    }

    case 'broken': {
      return fail(step, record, cur, 'host-lost', `instance ${id} is ${status} (its host stopped answering)`)
    }

    default: {
      break
    }
  }
  summarize(record, now)
  return writeRun(experimentDir, record, now)
}

/** The exit marker arrived: the job's code decides the run; the results stay on the (stopped) instance until collect. */
async function finish(step: Step, cur: VastAttempt, marker: MarkerResult, status: string | null): Promise<RunRecord> {
  const {context, experimentDir} = step
  let record = step.record
  const data = vastData(record)
  const now = context.now()
  const id = cur.instance_id!
  const {code, reason} = marker.found!
  data.exit_code = code
  data.finished_at = now.toISOString()
  cur.outcome = 'finished'
  record = {
    ...record,
    stages: finishStages(record.stages, {code, reason}, marker.stageCodes, {
      end: now.toISOString(),
      start: cur.running_at,
    }),
  }
  const ok = code === 0
  context.log(
    `vast.ai: ${record.experiment} run ${record.run_id} finished on instance ${id} (exit ${code}); collect the results: exp collect ${record.experiment}`,
  )
  await log(
    experimentDir,
    record.run_id,
    {
      action: 'finish',
      description: `the job on instance ${id} exited with code ${code}${reason ? ` (${reason})` : ''}`,
      details: `instance ${id} is ${status}; results stay on it until exp collect`,
      result: ok ? 'completed' : 'failed',
    },
    now,
  )
  if (!ok && reason) record.reason = reason
  return record
}

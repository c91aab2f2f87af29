import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../../errors.js'
import {isLive, type RunRecord, runDir, writeRun} from '../../runs/record.js'
import {isAuthError, log, REMOTE_LOCAL_DIR, type Step} from './common.js'
import {formatPrice, pickOffers} from './offers.js'
import {GROUP_FILE, groupUploadedAt, shareFromTimes} from './group.js'
import {PAYLOAD_DIR} from './payload.js'
import {rent} from './rent.js'
import {currentAttempt, endLiveStages, finishStages, markRunning, parseMarker, phaseOf, requeue, summarize, type VastAttempt, vastData} from './state.js'

/**
 * One step of a vast.ai run's life, from its instance's row in ONE `show instances` for all runs. Observing
 * (every refresh) records what the row says; acting (exp watch, exp collect, the launch's own wait, the background
 * worker, `exp runs --advance`) also uploads, fetches the exit marker, destroys and rents again — it may spend money.
 */
const UPLOAD_TIMEOUT_MS = 30 * 60_000
const MARKER_TIMEOUT_MS = 5 * 60_000
/** while a job runs, look for its exit marker this often, in case the instance failed to stop itself */
const MARKER_PROBE_MS = 10 * 60_000

/**
 * Bring one run up to date from its instance's row (from ONE `show instances` for all runs), acting where the
 * state calls for it: upload the payload once running, fetch the exit marker once stopped, destroy and retry once
 * when the instance sticks in loading past the deadline or dies without the marker. With `act` false it only
 * records what the row says (state, status message, an instance gone): no vastai call at all.
 */
export async function advance(step: Step, rows: Map<number, Record<string, unknown>>, act: boolean): Promise<RunRecord> {
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
        dph_total: typeof found.dph_total === 'number' ? found.dph_total : offer?.dph_total ?? 0,
        gpu: typeof found.gpu_name === 'string' ? found.gpu_name : offer?.gpu ?? '?',
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
      record = {...record, reason: cur.reason, stages: endLiveStages(record.stages, 'failed', cur.reason, now.toISOString())}
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
  if (changed) context.log(`vast.ai: ${record.experiment} run ${record.run_id}: instance ${id} is ${status ?? 'provisioning'}${cur.status_msg ? ` (${cur.status_msg})` : ''}`)

  switch (phase) {
    case 'pending': {
      const deadline = data.options.loading_timeout_minutes * 60_000
      const since = Date.parse(cur.created_at ?? cur.at)
      if (now.getTime() - since > deadline) {
        return fail(step, record, cur, 'loading-timeout', `instance ${id} was still ${status ?? 'provisioning'} after ${data.options.loading_timeout_minutes} min (the loading deadline)`)
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
        return fail(step, record, cur, 'exited-without-marker', `instance ${id} is ${status} and never received the payload`)
      }
      const marker = await fetchMarker({...step, record}, id)
      if (marker.found) {
        record = await finish({...step, record}, cur, marker, status)
        break
      }
      if (marker.missing) {
        return fail(step, record, cur, 'exited-without-marker', `instance ${id} is ${status} without the job's exit marker (the job did not finish)`)
      }
      context.log(`vast.ai: cannot read the exit marker of instance ${id} yet (${marker.error ?? 'copy failed'}); will try again`)
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
  record = {...record, stages: finishStages(record.stages, {code, reason}, marker.stageCodes, {end: now.toISOString(), start: cur.running_at})}
  const ok = code === 0
  context.log(`vast.ai: ${record.experiment} run ${record.run_id} finished on instance ${id} (exit ${code}); collect the results: exp collect ${record.experiment}`)
  await log(experimentDir, record.run_id, {action: 'finish', description: `the job on instance ${id} exited with code ${code}${reason ? ` (${reason})` : ''}`, details: `instance ${id} is ${status}; results stay on it until exp collect`, result: ok ? 'completed' : 'failed'}, now)
  if (!ok && reason) record.reason = reason
  return record
}

/** Upload the payload folder into the run's folder on the instance. vastai copy exits 0 even when rsync failed. */
async function upload(step: Step, cur: VastAttempt): Promise<RunRecord> {
  const {cli, context, experimentDir, record} = step
  const data = vastData(record)
  const rdir = runDir(experimentDir, record.run_id)
  const id = cur.instance_id!
  const now = () => context.now()
  // a sweep's shared instance gets the group's payload, once for all its variants (see groupUploadedAt)
  const [from, to] = cur.shared ? [path.resolve(experimentDir, cur.shared.dir), cur.shared.remote_dir] : [rdir, data.remote_dir]
  try {
    const result = await cli.copy(PAYLOAD_DIR, `${id}:${to}/`, from, UPLOAD_TIMEOUT_MS)
    if (result.rsyncError) {
      cur.upload_error = result.rsyncError
      context.log(`vast.ai: uploading the payload to instance ${id} failed (${result.rsyncError}); will try again`)
      await log(experimentDir, record.run_id, {action: 'upload', description: `payload to instance ${id}`, details: result.rsyncError, result: 'failed, will retry'}, now())
      return record
    }
  } catch (error) {
    if (isAuthError(error)) throw error
    cur.upload_error = messageOf(error)
    context.log(`vast.ai: uploading the payload to instance ${id} failed (${cur.upload_error}); will try again`)
    return record
  }
  delete cur.upload_error
  cur.uploaded_at = now().toISOString()
  context.log(`vast.ai: payload uploaded to instance ${id}; the job starts once its sha256 matches`)
  await log(experimentDir, record.run_id, {action: 'upload', description: `payload (${data.payload.bytes} bytes, sha256 ${data.payload.sha256}) to instance ${id}:${to}/${PAYLOAD_DIR}/`, result: 'uploaded'}, now())
  return record
}

interface MarkerResult {
  found?: {code: number; reason?: string}
  stageCodes: Record<string, number | undefined>
  /** the marker is positively absent on the instance (rsync: no such file) */
  missing: boolean
  error?: string
}

/** Copy only `out/status/` (a few bytes) home to read the exit marker and the stages' codes. */
async function fetchMarker(step: Step, id: number): Promise<MarkerResult> {
  const {cli, experimentDir, record} = step
  const data = vastData(record)
  const rdir = runDir(experimentDir, record.run_id)
  const local = path.join(rdir, REMOTE_LOCAL_DIR, 'status')
  await fs.rm(local, {force: true, recursive: true})
  await fs.mkdir(path.dirname(local), {recursive: true})
  let copied
  try {
    copied = await cli.copy(`${id}:${data.remote_dir}/out/status/`, `${REMOTE_LOCAL_DIR}/status/`, rdir, MARKER_TIMEOUT_MS)
  } catch (error) {
    if (isAuthError(error)) throw error
    return {error: messageOf(error), missing: false, stageCodes: {}}
  }
  const read = async (name: string) => fs.readFile(path.join(local, name), 'utf8').catch(() => undefined)
  const markerText = await read('exp-exit')
  const found = markerText === undefined ? undefined : parseMarker(markerText)
  const cur = currentAttempt(data)
  const times = cur?.shared ? await read(GROUP_FILE) : undefined
  if (cur?.shared && times !== undefined) Object.assign(cur.shared, {done: true, share: shareFromTimes(times, record.run_id, cur.shared.runs.length)})
  const stageCodes: Record<string, number | undefined> = {}
  for (const s of record.stages) {
    const text = await read(`${s.name}.exit`)
    stageCodes[s.name] = text !== undefined && /^\s*-?\d+\s*$/.test(text) ? Number(text.trim()) : undefined
  }
  return {error: copied.rsyncError, found, missing: !found && (copied.missing || (markerText === undefined && existsSync(local) && !copied.rsyncError)), stageCodes}
}

/**
 * An instance that will not run the job: destroy it (only then is it safe to rent another), and retry ONCE on
 * another machine; a second failure, or a destroy that failed, ends the run as failed with the reason.
 */
async function fail(step: Step, record: RunRecord, cur: VastAttempt, outcome: VastAttempt['outcome'], reason: string): Promise<RunRecord> {
  const {cli, context, experimentDir} = step
  const data = vastData(record)
  const id = cur.instance_id!
  const now = context.now()
  context.log(`vast.ai: ${reason}; destroying it`)
  let destroyError: string | undefined
  try {
    await cli.destroyInstance(id)
    cur.destroyed_at = now.toISOString()
  } catch (error) {
    if (isAuthError(error)) throw error
    destroyError = messageOf(error)
  }
  cur.ended_at = now.toISOString()
  cur.outcome = outcome
  cur.reason = reason
  await log(experimentDir, record.run_id, {action: 'fail', description: reason, details: destroyError ? `destroy failed: ${destroyError}` : `instance ${id} destroyed`, result: data.retried || destroyError ? 'failed' : 'retrying'}, now)

  if (!destroyError && !data.retried) {
    data.retried = true
    const failedMachines = data.attempts.filter((a) => a.instance_id !== undefined && a.machine_id !== null).map((a) => a.machine_id as number)
    try {
      const offers = await cli.searchOffers(data.query, data.options.disk)
      const choices = pickOffers(offers, data.options.disk, {excludeMachines: failedMachines, limit: data.options.max_offers, maxPrice: data.options.max_price, minReliability: data.options.min_reliability})
      if (choices.length === 0) throw new ExpError(`no other offer matches "${data.query}" (machines ${failedMachines.join(', ')} excluded)`)
      context.log(`vast.ai: retrying once on another machine (offer ${choices[0].id}, ${formatPrice(choices[0].dph_total)})`)
      const next = await rent({...step, record: {...record, stages: requeue(record.stages)}}, choices)
      summarize(next, context.now())
      return writeRun(experimentDir, next, context.now())
    } catch (error) {
      if (isAuthError(error)) throw error
      reason = `${reason}; the retry could not rent another instance: ${messageOf(error)}`
    }
  } else if (destroyError) {
    reason = `${reason}; destroying it failed (${destroyError}): destroy it yourself with vastai destroy instance ${id} -y`
  } else if (data.retried) {
    reason = `${reason} (after one retry on another machine)`
  }
  const ended = {...record, reason, stages: endLiveStages(record.stages, 'failed', reason, now.toISOString())}
  summarize(ended, now)
  context.log(`vast.ai: run ${record.run_id} failed: ${reason}`)
  return writeRun(experimentDir, ended, now)
}

import {existsSync, promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {WorkspaceLock} from '../lib/lock.js'
import {EMBEDDED_ENGINE_DIR} from '../lib/package.js'
import {sleep} from '../lib/time.js'
import {isLive, readRun, type RunRecord, runDir, runFile, writeRun} from '../runs/record.js'
import {METRICS_FILE} from '../runs/metrics.js'
import type {Backend, BackendContext, CollectResult, LaunchIO, LaunchRequest, PreparedRun, RunRef} from './backend.js'
import {displayCommand, isEvaluateStage, placeholdersIn, usesEmbeddedEngine} from '../launch/engines.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../launch/launch-log.js'
import {queuedRecord} from '../launch/plan.js'
import {VastCli, VastError} from './vast/cli.js'
import {buildQuery, formatPrice, type OfferChoice, pickOffers, resolveOptions, type VastOptions} from './vast/offers.js'
import {buildPayload, PAYLOAD_DIR, PAYLOAD_FILE, writeScript} from './vast/payload.js'
import {CHECKPOINT_SUMS, ONSTART_LIMIT, remoteArgv, remoteRunDir, renderJobScript, renderOnstart} from './vast/scripts.js'
import {
  currentAttempt,
  endLiveStages,
  finishStages,
  markRunning,
  parseMarker,
  phaseOf,
  requeue,
  summarize,
  type VastAttempt,
  type VastData,
  vastData,
} from './vast/state.js'

/**
 * The vast.ai backend: rents the cheapest matching GPU offer, ships the experiment there as a payload, lets the
 * instance run train → evaluate and stop itself, and brings the results home. Every vastai call goes through
 * VastCli (vast/cli.ts); the scripts are in vast/scripts.ts; the record's backend_data in vast/state.ts.
 */
const ONSTART_FILE = 'onstart.sh'
const JOB_FILE = 'job.sh'
const REMOTE_LOCAL_DIR = 'remote'
const RUN_LOCK = '.vast.lock'
const UPLOAD_TIMEOUT_MS = 30 * 60_000
const COLLECT_TIMEOUT_MS = 120 * 60_000
const MARKER_TIMEOUT_MS = 5 * 60_000
/** while a job runs, look for its exit marker this often, in case the instance failed to stop itself */
const MARKER_PROBE_MS = 10 * 60_000
/** the launch waits for `running` with polls no further apart than this (exp.yaml poll_interval if shorter) */
const SUBMIT_POLL_MAX_S = 10

function cliFor(context: BackendContext): VastCli {
  return new VastCli({env: context.env ?? process.env, log: context.log})
}

function labelFor(experiment: string, runId: string): string {
  return `exp-${experiment}-${runId}`
}

function createArgs(offerId: number, options: VastOptions, onstartFile: string, label: string): string[] {
  return ['create', 'instance', String(offerId), '--image', options.image, '--disk', String(options.disk), '--onstart', onstartFile, '--label', label, '--cancel-unavail']
}

async function log(experimentDir: string, runId: string, entry: LaunchLogEntry, now: Date): Promise<void> {
  await appendLaunchLog(launchLogFile(runDir(experimentDir, runId)), entry, now)
}

// ---- prepare ------------------------------------------------------------------------------------------------------

async function prepare(request: LaunchRequest): Promise<PreparedRun> {
  const options = resolveOptions(request.ws.settings.backends.vast, request.options)
  const cli = cliFor(request)
  // before anything is spent (or written): a CLI that can list instances, and a key it will find
  await cli.checkVersion()
  cli.requireApiKey()

  const stageNames = request.stages.map((s) => s.name)
  const query = buildQuery(options)
  const offers = await cli.searchOffers(query, options.disk)
  const candidates = pickOffers(offers, options.disk, {limit: options.max_offers, maxPrice: options.max_price, minReliability: options.min_reliability})
  if (candidates.length === 0) {
    const cheapest = pickOffers(offers, options.disk, {limit: 1, minReliability: options.min_reliability})[0]
    const why = offers.length === 0 ? 'no offer matches' : `${offers.length} offer(s) match but none at or under ${formatPrice(options.max_price ?? 0)}${cheapest ? ` (cheapest ${formatPrice(cheapest.dph_total)})` : ''}`
    throw new ExpError(`vast.ai: ${why} the query "${query}".`, {code: 'NO_OFFER', suggestion: 'raise --max-price, or change --gpu / --num-gpus / --query.'})
  }

  const shipsCheckpoint = !stageNames.includes('train') && stageNames.some((n) => isEvaluateStage(n))
  const jobInput = {experiment: request.experiment.name, runId: request.runId, shipsCheckpoint, stages: stageNames, templates: request.templates}
  const jobScript = renderJobScript(jobInput)
  const needsEngine = stageNames.some((n) => placeholdersIn(request.templates[n]).has('engine_dir'))
  // a dry run builds the payload in a temporary folder, only to show the exact onstart script (with its sha256)
  const target = request.dryRun ? await fs.mkdtemp(path.join(os.tmpdir(), 'exp-vast-dry-')) : request.runDir
  try {
    const payload = await buildPayload({
      checkpointDir: shipsCheckpoint ? request.checkpointDir : undefined,
      engineDir: needsEngine ? EMBEDDED_ENGINE_DIR : undefined,
      experimentDir: request.experiment.dir,
      jobScript,
      runDir: target,
      wholeExperiment: !usesEmbeddedEngine(request.ws),
    })
    const onstart = renderOnstart({experiment: request.experiment.name, runId: request.runId, sha256: payload.sha256})
    if (onstart.length >= ONSTART_LIMIT) {
      throw new ExpError(`the onstart script would be ${onstart.length} characters; vast.ai refuses ${ONSTART_LIMIT} or more.`, {code: 'ONSTART_TOO_LONG', suggestion: 'use a shorter experiment name.'})
    }
    const files = {job: path.join(request.runDir, JOB_FILE), onstart: path.join(request.runDir, ONSTART_FILE), payload: path.join(request.runDir, PAYLOAD_DIR, PAYLOAD_FILE)}
    const label = labelFor(request.experiment.name, request.runId)
    const remote = remoteRunDir(request.runId)
    const rel = (p: string) => path.relative(request.experiment.dir, p)

    const base = request.dryRun ? queuedRecord(request, 'vast') : await readRun(runFile(request.experiment.dir, request.runId))
    const record: RunRecord = {
      ...base,
      backend: 'vast',
      stages: base.stages.map((s) => ({...s, command: remoteArgv(jobInput, s.name), cwd: `${remote}/job/experiment`})),
    }
    delete record.supervisor_start
    delete record.supervisor_pid // nothing on this machine supervises it: the instance runs on its own
    const data: VastData = {
      attempts: [],
      candidates,
      checkpoint_dir: rel(request.checkpointDir),
      cost_usd: 0,
      instance_live: false,
      job: rel(files.job),
      label,
      onstart: rel(files.onstart),
      options,
      payload: {bytes: payload.bytes, file: rel(files.payload), sha256: payload.sha256},
      query,
      remote_dir: remote,
      retried: false,
    }
    record.backend_data = data as unknown as Record<string, unknown>
    const first = candidates[0]
    const commands = [
      [...cli.argv(createArgs(first.id, options, files.onstart, label), true)],
      cli.argv(['copy', path.join(request.runDir, PAYLOAD_DIR), `<instance>:${remote}/`]),
      cli.argv(['copy', `<instance>:${remote}/out/`, path.join(request.runDir, REMOTE_LOCAL_DIR) + '/']),
    ]

    if (request.dryRun) {
      request.log(`vast.ai: ${offers.length} offer(s) match "${query}"; it would rent offer ${first.id}: ${offerText(first)}.`)
      if (candidates.length > 1) request.log(`  if that offer is gone: ${candidates.slice(1).map((c) => `${c.id} (${formatPrice(c.dph_total)})`).join(', ')}`)
      request.log(`  create: ${displayCommand(commands[0])}`)
      request.log(`  payload: ${payload.bytes} bytes, sha256 ${payload.sha256}; uploaded once the instance runs, results copied back by exp collect`)
      request.log(`  loading deadline ${options.loading_timeout_minutes} min; auto-shutdown ${options.auto_shutdown ? 'on' : 'off'}`)
      request.log(`  onstart script (${onstart.length} characters):`)
      for (const line of onstart.trimEnd().split('\n')) request.log(`    ${line}`)
      data.notice = 'dry run: nothing was rented'
      return {commands, files: Object.values(files), record, request}
    }

    await writeScript(files.onstart, onstart)
    await writeScript(files.job, jobScript)
    const saved = await writeRun(request.experiment.dir, record, request.now())
    await log(
      request.experiment.dir,
      request.runId,
      {
        action: 'prepare',
        description: `vast.ai payload ${payload.bytes} bytes (sha256 ${payload.sha256}); offers ${candidates.map((c) => `${c.id} ${formatPrice(c.dph_total)}`).join(', ')}`,
        details: [`query: ${query}`, `onstart: ${rel(files.onstart)} (${onstart.length} characters)`, `job: ${rel(files.job)}`],
        result: 'queued',
      },
      request.now(),
    )
    return {commands, files: Object.values(files), record: saved, request}
  } finally {
    if (request.dryRun) await fs.rm(target, {force: true, recursive: true})
  }
}

function offerText(o: OfferChoice): string {
  const where = o.geolocation ? `, ${o.geolocation}` : ''
  const rel = o.reliability === null ? '' : `, reliability ${o.reliability}`
  return `${o.num_gpus > 1 ? `${o.num_gpus}x ` : ''}${o.gpu} at ${formatPrice(o.dph_total)} (machine ${o.machine_id ?? '?'}${rel}${where})`
}

// ---- renting ------------------------------------------------------------------------------------------------------

interface Step {
  experimentDir: string
  record: RunRecord
  cli: VastCli
  context: BackendContext
}

/**
 * Rent the first offer that is still there, cheapest first. `no_such_ask` (the offer went between search and
 * create) moves on to the next; any other failure stops. Success only from stdout's `success: true` +
 * `new_contract`. Returns the record with the new attempt, or throws when nothing could be rented (nothing is).
 */
async function rent(step: Step, offers: OfferChoice[]): Promise<RunRecord> {
  const {cli, context, experimentDir} = step
  let record = step.record
  const data = vastData(record)
  const onstartFile = path.join(experimentDir, data.onstart)
  const gone: number[] = []
  for (const offer of offers) {
    const at = context.now().toISOString()
    data.pending_create = {at, offer_id: offer.id}
    record = await writeRun(experimentDir, record, context.now())
    const attempt: VastAttempt = {at, disk_dph: offer.disk_dph, dph_total: offer.dph_total, gpu: offer.gpu, machine_id: offer.machine_id, num_gpus: offer.num_gpus, offer_id: offer.id}
    let id: number
    try {
      id = await cli.createInstance(createArgs(offer.id, data.options, onstartFile, data.label), offer.id)
    } catch (error) {
      // refused by the server (auth, offer gone, rate limit, bad arguments): nothing was created. Any other failure
      // leaves the outcome unknown: pending_create stays, and a refresh adopts (and handles) an instance by its label
      const refused = error instanceof VastError && (['auth', 'offer-gone', 'rate-limit', 'not-found'].includes(error.kind) || (error.kind === 'server' && (error.status ?? 0) < 500))
      if (refused) delete vastData(record).pending_create
      if (error instanceof VastError && error.kind === 'offer-gone') {
        gone.push(offer.id)
        vastData(record).attempts.push({...attempt, ended_at: at, outcome: 'offer-gone', reason: error.message})
        context.log(`vast.ai: offer ${offer.id} is gone; trying the next one`)
        await log(experimentDir, record.run_id, {action: 'rent', description: `offer ${offer.id} (${formatPrice(offer.dph_total)})`, details: error.message, result: 'gone'}, context.now())
        record = await writeRun(experimentDir, record, context.now())
        continue
      }
      await writeRun(experimentDir, record, context.now())
      throw error
    }
    const now = context.now()
    const d = vastData(record)
    delete d.pending_create
    d.attempts.push({...attempt, cost_usd: 0, created_at: now.toISOString(), instance_id: id, state: null})
    summarize(record, now)
    context.log(`vast.ai: rented instance ${id} on offer ${offer.id}: ${offerText(offer)}`)
    await log(experimentDir, record.run_id, {action: 'rent', description: `instance ${id} on offer ${offer.id}: ${offerText(offer)}`, details: `label ${d.label}`, result: 'created'}, now)
    return writeRun(experimentDir, record, now)
  }
  throw new ExpError(`vast.ai: every offer tried is gone (${gone.join(', ') || 'none left'}).`, {code: 'OFFERS_GONE', suggestion: 'launch again (offers change by the minute), or widen --max-price / --query.'})
}

// ---- one step of a run's life --------------------------------------------------------------------------------------

interface StepOptions {
  /** may it rent again after a failure (refresh and submit: yes) */
  retry: boolean
}

/**
 * Bring one run up to date from its instance's row (from ONE `show instances` for all runs), acting where the
 * state calls for it: upload the payload once running, fetch the exit marker once stopped, destroy and retry once
 * when the instance sticks in loading past the deadline or dies without the marker.
 */
async function advance(step: Step, rows: Map<number, Record<string, unknown>>, options: StepOptions): Promise<RunRecord> {
  const {context, experimentDir} = step
  let record = step.record
  const data = vastData(record)
  const now = context.now()
  let adopted = false
  if (data.pending_create) {
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

  if (!isLive(record.state)) {
    // a finished run whose instance still exists (stopped, not collected or kept): bookkeeping only
    summarize(record, now)
    return writeRun(experimentDir, record, now)
  }
  if (changed) context.log(`vast.ai: ${record.experiment} run ${record.run_id}: instance ${id} is ${status ?? 'provisioning'}${cur.status_msg ? ` (${cur.status_msg})` : ''}`)

  switch (phase) {
    case 'pending': {
      const deadline = data.options.loading_timeout_minutes * 60_000
      const since = Date.parse(cur.created_at ?? cur.at)
      if (now.getTime() - since > deadline) {
        return fail(step, record, cur, 'loading-timeout', `instance ${id} was still ${status ?? 'provisioning'} after ${data.options.loading_timeout_minutes} min (the loading deadline)`, options)
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
        if (marker.found) {
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
        return fail(step, record, cur, 'exited-without-marker', `instance ${id} is ${status} and never received the payload`, options)
      }
      const marker = await fetchMarker({...step, record}, id)
      if (marker.found) {
        record = await finish({...step, record}, cur, marker, status)
        break
      }
      if (marker.missing) {
        return fail(step, record, cur, 'exited-without-marker', `instance ${id} is ${status} without the job's exit marker (the job did not finish)`, options)
      }
      context.log(`vast.ai: cannot read the exit marker of instance ${id} yet (${marker.error ?? 'copy failed'}); will try again`)
      break
    }

    case 'broken': {
      return fail(step, record, cur, 'host-lost', `instance ${id} is ${status} (its host stopped answering)`, options)
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
  try {
    const result = await cli.copy(PAYLOAD_DIR, `${id}:${data.remote_dir}/`, rdir, UPLOAD_TIMEOUT_MS)
    if (result.rsyncError) {
      cur.upload_error = result.rsyncError
      context.log(`vast.ai: uploading the payload to instance ${id} failed (${result.rsyncError}); will try again`)
      await log(experimentDir, record.run_id, {action: 'upload', description: `payload to instance ${id}`, details: result.rsyncError, result: 'failed, will retry'}, now())
      return record
    }
  } catch (error) {
    if (error instanceof VastError && error.kind === 'auth') throw error
    cur.upload_error = messageOf(error)
    context.log(`vast.ai: uploading the payload to instance ${id} failed (${cur.upload_error}); will try again`)
    return record
  }
  delete cur.upload_error
  cur.uploaded_at = now().toISOString()
  context.log(`vast.ai: payload uploaded to instance ${id}; the job starts once its sha256 matches`)
  await log(experimentDir, record.run_id, {action: 'upload', description: `payload (${data.payload.bytes} bytes, sha256 ${data.payload.sha256}) to instance ${id}:${data.remote_dir}/${PAYLOAD_DIR}/`, result: 'uploaded'}, now())
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
    if (error instanceof VastError && error.kind === 'auth') throw error
    return {error: messageOf(error), missing: false, stageCodes: {}}
  }
  const read = async (name: string) => fs.readFile(path.join(local, name), 'utf8').catch(() => undefined)
  const markerText = await read('exp-exit')
  const found = markerText === undefined ? undefined : parseMarker(markerText)
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
async function fail(step: Step, record: RunRecord, cur: VastAttempt, outcome: VastAttempt['outcome'], reason: string, options: StepOptions): Promise<RunRecord> {
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
    if (error instanceof VastError && error.kind === 'auth') throw error
    destroyError = messageOf(error)
  }
  cur.ended_at = now.toISOString()
  cur.outcome = outcome
  cur.reason = reason
  await log(experimentDir, record.run_id, {action: 'fail', description: reason, details: destroyError ? `destroy failed: ${destroyError}` : `instance ${id} destroyed`, result: data.retried || destroyError ? 'failed' : 'retrying'}, now)

  if (!destroyError && !data.retried && options.retry) {
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
      if (error instanceof VastError && error.kind === 'auth') throw error
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

// ---- submit / refresh / cancel / collect ---------------------------------------------------------------------------

/** The per-run lock: one process at a time acts on a run's instance (uploads, destroys, retries). */
async function withRunLock<T>(experimentDir: string, runId: string, waitMs: number, fn: () => Promise<T>): Promise<T | undefined> {
  let lock: WorkspaceLock
  try {
    lock = await WorkspaceLock.acquire(path.join(runDir(experimentDir, runId), RUN_LOCK), {command: `vast ${runId}`, waitMs})
  } catch (error) {
    if (error instanceof ExpError && error.code === 'LOCKED') return undefined
    throw error
  }
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

function rowsById(rows: Record<string, unknown>[]): Map<number, Record<string, unknown>> {
  return new Map(rows.filter((r) => typeof r.id === 'number').map((r) => [r.id as number, r]))
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
  const result = await withRunLock(experimentDir, request.runId, 10_000, async () => {
    let record = await rent({cli, context: request, experimentDir, record: prepared.record}, vastData(prepared.record).candidates)
    if (request.detach) {
      request.log(`vast.ai: the payload is uploaded once the instance runs, by exp watch ${request.experiment.name} (or exp runs / exp list).`)
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
        record = await advance({cli, context: request, experimentDir, record}, rows, {retry: true})
        failures = 0
      } catch (error) {
        // the instance exists: never throw now (launch would forget it); report and keep trying a while
        failures++
        request.log(`vast.ai: ${messageOf(error)}`)
        record = await readRun(runFile(experimentDir, request.runId)).catch(() => record) // what advance saved before it failed
        if (failures >= 5 || (error instanceof VastError && error.kind === 'auth')) {
          request.log(`vast.ai: stopped waiting; exp watch ${request.experiment.name} takes over (or exp cancel ${request.experiment.name}).`)
          return readRun(runFile(experimentDir, request.runId)).catch(() => record)
        }
      }
    }
  })
  if (!result) throw new ExpError(`run ${request.runId} is being handled by another exp process.`, {code: 'LOCKED'})
  return result
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
      const updated = await withRunLock(ref.experimentDir, ref.record.run_id, 0, async () => {
        // the record on disk may be newer than the caller's copy (another process acted before we got the lock)
        const fresh = await readRun(runFile(ref.experimentDir, ref.record.run_id))
        return advance({cli, context, experimentDir: ref.experimentDir, record: fresh}, rows, {retry: true})
      })
      out.push(updated ?? (await readRun(runFile(ref.experimentDir, ref.record.run_id)).catch(() => ref.record)))
    } catch (error) {
      context.log(`vast.ai: ${ref.record.experiment} run ${ref.record.run_id}: ${messageOf(error)}`)
      out.push(ref.record)
    }
  }
  return out
}

async function cancel(run: RunRef, context: BackendContext): Promise<RunRecord> {
  const cli = cliFor(context)
  const result = await withRunLock(run.experimentDir, run.record.run_id, 10_000, async () => {
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
      await log(run.experimentDir, record.run_id, {action: 'cancel', description: `run already ${record.state}; ${how}`, result: record.state}, now)
      summarize(record, now)
      context.log(`vast.ai: ${how}${data.collected_at ? '' : ' (its results were not collected)'}`)
      return writeRun(run.experimentDir, record, now)
    }
    const reason = `cancelled; ${how}`
    await log(run.experimentDir, record.run_id, {action: 'cancel', description: reason, result: 'cancelled'}, now)
    const ended = {...record, reason, stages: endLiveStages(record.stages, 'cancelled', 'cancelled by exp cancel', now.toISOString())}
    summarize(ended, now)
    return writeRun(run.experimentDir, ended, now)
  })
  if (!result) throw new ExpError(`run ${run.record.run_id} is being handled by another exp process (its lock is held).`, {code: 'LOCKED', exit: 3, suggestion: 'try again in a moment.'})
  return result
}

async function collect(run: RunRef, context: BackendContext): Promise<CollectResult> {
  const record0 = run.record
  if (isLive(record0.state)) return {files: [], message: `run ${record0.run_id} is still ${record0.state}; its results come home once it has finished.`, record: record0}
  const cli = cliFor(context)
  const result = await withRunLock(run.experimentDir, record0.run_id, 10_000, () => collectLocked(run, context, cli))
  if (!result) throw new ExpError(`run ${record0.run_id} is being handled by another exp process (its lock is held).`, {code: 'LOCKED', exit: 3, suggestion: 'try again in a moment.'})
  return result
}

async function collectLocked(run: RunRef, context: BackendContext, cli: VastCli): Promise<CollectResult> {
  let record = await readRun(runFile(run.experimentDir, run.record.run_id))
  const data = vastData(record)
  const cur = currentAttempt(data)
  const name = record.experiment
  if (data.collected_at) {
    return {files: [], message: `run ${record.run_id}: results already collected at ${data.collected_at}.`, record}
  }
  if (data.exit_code === undefined || !cur || cur.instance_id === undefined || cur.destroyed_at) {
    return {files: [], message: `run ${record.run_id} ${record.state}${record.reason ? ` (${record.reason})` : ''}: there are no results on vast.ai to collect.`, record}
  }
  const id = cur.instance_id
  const rdir = runDir(run.experimentDir, record.run_id)
  const home = path.join(rdir, REMOTE_LOCAL_DIR)
  const copied = await cli.copy(`${id}:${data.remote_dir}/out/`, `${REMOTE_LOCAL_DIR}/`, rdir, COLLECT_TIMEOUT_MS)

  // vastai copy exits 0 whatever rsync did: check that what should have come home did, and that it parses
  const problems: string[] = []
  const marker = parseMarker(await fs.readFile(path.join(home, 'status', 'exp-exit'), 'utf8').catch(() => ''))
  if (!marker) problems.push('status/exp-exit')
  for (const s of record.stages) {
    if (s.exit_code !== undefined && s.exit_code !== null && !existsSync(path.join(home, `${s.name}.log`))) problems.push(`${s.name}.log`)
  }
  const trained = record.stages.some((s) => s.name === 'train' && s.state === 'completed')
  const evaluated = record.stages.some((s) => s.name === 'evaluate' && s.state === 'completed')
  const reportText = await fs.readFile(path.join(home, 'report.json'), 'utf8').catch(() => undefined)
  if (evaluated) {
    if (reportText === undefined) problems.push('report.json')
    else {
      try {
        const value = JSON.parse(reportText) as unknown
        if (!value || typeof value !== 'object' || Array.isArray(value)) problems.push('report.json (not a JSON object)')
      } catch {
        problems.push('report.json (not valid JSON)')
      }
    }
  }
  const checkpoints = path.join(home, 'checkpoints')
  const checkpointFiles = await fs.readdir(checkpoints).catch(() => [] as string[])
  if (trained && checkpointFiles.length === 0) problems.push('checkpoints/')
  if (problems.length > 0) {
    const why = copied.rsyncError ? ` (vastai copy: ${copied.rsyncError})` : ''
    await log(run.experimentDir, record.run_id, {action: 'collect', description: `from instance ${id}`, details: `missing or invalid: ${problems.join(', ')}${why}`, result: 'failed'}, context.now())
    throw new ExpError(`the results of run ${record.run_id} did not all arrive from instance ${id}: ${problems.join(', ')}${why}.`, {
      code: 'COLLECT_INCOMPLETE',
      suggestion: `exp collect ${name} again; the instance keeps them (stopped, billing disk) until they are collected.`,
    })
  }

  // place them as a local run leaves them: logs in the run folder, the report, the checkpoints
  const files: string[] = []
  for (const s of record.stages) {
    const src = path.join(home, `${s.name}.log`)
    if (!existsSync(src)) continue
    const dst = path.join(run.experimentDir, s.log)
    await writeFileAtomic(dst, await fs.readFile(src))
    files.push(dst)
  }
  const metricsText = await fs.readFile(path.join(home, METRICS_FILE), 'utf8').catch(() => undefined)
  if (metricsText !== undefined) {
    const dst = path.join(rdir, METRICS_FILE)
    await writeFileAtomic(dst, metricsText)
    files.push(dst)
  }
  if (reportText !== undefined && record.report) {
    const dst = path.join(run.experimentDir, record.report)
    await writeFileAtomic(dst, reportText)
    files.push(dst)
    try {
      const {applyGates} = await import('../reports/gates.js')
      await applyGates(dst, context.ws.settings.gates, context.now())
    } catch (error) {
      context.log(`vast.ai: could not apply exp.yaml gates to ${record.report}: ${messageOf(error)}`)
    }
  }
  // an evaluation suite: each evaluation's report, from out/reports/<name>.json
  for (const [evaluation, rel] of Object.entries(record.reports ?? {})) {
    const text = await fs.readFile(path.join(home, 'reports', `${evaluation}.json`), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    await writeFileAtomic(path.join(run.experimentDir, rel), text)
    files.push(path.join(run.experimentDir, rel))
    const {applyGates} = await import('../reports/gates.js')
    await applyGates(path.join(run.experimentDir, rel), context.ws.settings.gates, context.now())
  }
  if (checkpointFiles.length > 0) {
    const dst = path.join(run.experimentDir, data.checkpoint_dir)
    await fs.mkdir(path.dirname(dst), {recursive: true})
    // moved, not copied (checkpoints can be large): remote/ and the experiment are on the same filesystem
    await fs.rm(dst, {force: true, recursive: true})
    await fs.rename(checkpoints, dst).catch(async () => fs.cp(checkpoints, dst, {recursive: true}))
    files.push(dst)
    if (trained) {
      const {commitCollected} = await import('./vast/checkpoint.js')
      const sums = await fs.readFile(path.join(home, 'status', CHECKPOINT_SUMS), 'utf8').catch(() => undefined)
      const argv = record.stages.find((s) => s.name === 'train')?.command ?? null
      const committed = await commitCollected({argv, checkpoint: data.checkpoint_dir, experimentDir: run.experimentDir, now: context.now, sums})
      record.stages = record.stages.map((s) => (s.name === 'train' ? {...s, checkpoint: committed} : s))
    }
  }
  const now = context.now()
  data.collected_at = now.toISOString()
  let message = `run ${record.run_id}: ${files.length} result file(s) collected from instance ${id}`
  if (data.options.auto_shutdown) {
    try {
      await cli.destroyInstance(id)
      cur.destroyed_at = now.toISOString()
      message += `; instance ${id} destroyed (auto-shutdown), billing stopped`
    } catch (error) {
      message += `; destroying instance ${id} failed (${messageOf(error)}): it still bills disk until vastai destroy instance ${id} -y`
    }
  } else {
    message += `; instance ${id} is kept (stopped) and still bills its disk until exp cancel ${name}`
  }
  summarize(record, now)
  await log(run.experimentDir, record.run_id, {action: 'collect', description: `from instance ${id}`, details: files.map((f) => path.relative(run.experimentDir, f)), result: message}, now)
  record = await writeRun(run.experimentDir, record, now)
  return {files, message: `${message}.`, record}
}

export const vastBackend: Backend = {cancel, collect, name: 'vast', prepare, refresh, submit}

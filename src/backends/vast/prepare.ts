import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError} from '../../errors.js'
import {EMBEDDED_ENGINE_DIR} from '../../lib/package.js'
import {readRun, type RunRecord, runFile, writeRun} from '../../runs/record.js'
import type {LaunchRequest, PreparedRun} from '../backend.js'
import {displayCommand, isEvaluateStage, placeholdersIn, usesEmbeddedEngine} from '../../launch/engines.js'
import {queuedRecord} from '../../launch/plan.js'
import {cliFor, createArgs, JOB_FILE, labelFor, log, offerText, ONSTART_FILE, REMOTE_LOCAL_DIR} from './common.js'
import {buildQuery, formatPrice, pickOffers, resolveOptions} from './offers.js'
import {buildPayload, PAYLOAD_DIR, PAYLOAD_FILE, writeScript} from './payload.js'
import {ONSTART_LIMIT, remoteArgv, remoteRunDir, renderJobScript, renderOnstart} from './scripts.js'
import type {VastData} from './state.js'

/** Preparing a vast.ai run: check the CLI and key, choose offers, build the payload and the scripts (or show them). */
export async function prepare(request: LaunchRequest): Promise<PreparedRun> {
  const options = resolveOptions(request.ws.settings.backends.vast, request.options)
  const cli = cliFor(request)
  // before anything is spent (or written): a CLI that can list instances, and a key it will find
  await cli.checkVersion()
  cli.requireApiKey()

  const stageNames = request.stages.map((s) => s.name)
  const query = buildQuery(options)
  const offers = await cli.searchOffers(query, options.disk)
  const candidates = pickOffers(offers, options.disk, {
    limit: options.max_offers,
    maxPrice: options.max_price,
    minReliability: options.min_reliability,
  })
  if (candidates.length === 0) {
    const cheapest = pickOffers(offers, options.disk, {limit: 1, minReliability: options.min_reliability})[0]
    const why =
      offers.length === 0
        ? 'no offer matches'
        : `${offers.length} offer(s) match but none at or under ${formatPrice(options.max_price ?? 0)}${cheapest ? ` (cheapest ${formatPrice(cheapest.dph_total)})` : ''}`
    throw new ExpError(`vast.ai: ${why} the query "${query}".`, {
      code: 'NO_OFFER',
      suggestion: 'raise --max-price, or change --gpu / --num-gpus / --query.',
    })
  }

  const shipsCheckpoint = !stageNames.includes('train') && stageNames.some((n) => isEvaluateStage(n))
  const jobInput = {
    experiment: request.experiment.name,
    runId: request.runId,
    shipsCheckpoint,
    stages: stageNames,
    templates: request.templates,
  }
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
      throw new ExpError(
        `the onstart script would be ${onstart.length} characters; vast.ai refuses ${ONSTART_LIMIT} or more.`,
        {code: 'ONSTART_TOO_LONG', suggestion: 'use a shorter experiment name.'},
      )
    }
    const files = {
      job: path.join(request.runDir, JOB_FILE),
      onstart: path.join(request.runDir, ONSTART_FILE),
      payload: path.join(request.runDir, PAYLOAD_DIR, PAYLOAD_FILE),
    }
    const label = labelFor(request.experiment.name, request.runId)
    const remote = remoteRunDir(request.runId)
    const rel = (p: string) => path.relative(request.experiment.dir, p)

    const base = request.dryRun
      ? queuedRecord(request, 'vast')
      : await readRun(runFile(request.experiment.dir, request.runId))
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
      request.log(
        `vast.ai: ${offers.length} offer(s) match "${query}"; it would rent offer ${first.id}: ${offerText(first)}.`,
      )
      if (candidates.length > 1)
        request.log(
          `  if that offer is gone: ${candidates
            .slice(1)
            .map((c) => `${c.id} (${formatPrice(c.dph_total)})`)
            .join(', ')}`,
        )
      request.log(`  create: ${displayCommand(commands[0])}`)
      request.log(
        `  payload: ${payload.bytes} bytes, sha256 ${payload.sha256}; uploaded once the instance runs, results copied back by exp collect`,
      )
      request.log(
        `  loading deadline ${options.loading_timeout_minutes} min; auto-shutdown ${options.auto_shutdown ? 'on' : 'off'}`,
      )
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
        details: [
          `query: ${query}`,
          `onstart: ${rel(files.onstart)} (${onstart.length} characters)`,
          `job: ${rel(files.job)}`,
        ],
        result: 'queued',
      },
      request.now(),
    )
    return {commands, files: Object.values(files), record: saved, request}
  } finally {
    if (request.dryRun) await fs.rm(target, {force: true, recursive: true})
  }
}

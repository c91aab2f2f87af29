import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {resolveTarget} from '../experiments/resolve.js'
import {CONFIG_FILE} from '../records/files.js'
import {type BackendName, isLive, newRunId, type RunRecord, runDir, type StageName, writeRun} from '../runs/record.js'
import {CONTROL_CHARACTERS} from '../runs/validate.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import type {LaunchRequest, StagePlan} from '../backends/backend.js'
import {backendFor} from '../backends/registry.js'
import {fillLocalSettings, loadLocalSettings, localValues} from '../workspace/local-settings.js'
import {sha256} from '../lib/hash.js'
import {randomHex} from '../lib/node-crypto.js'
import {shellQuote} from '../lib/shell-quote.js'
import {engineTemplates, evaluationOf, expandArgv, placeholderValues, runPaths} from './engines.js'
import {appendLaunchLog, launchLogFile} from './launch-log.js'
import {racingRun, readLaunchSubject} from './launch-subject.js'
import {queuedRecord} from './plan.js'
export {backendOptions} from './launch-steps.js'
import {
  abandon,
  backendOptions,
  createRunFolder,
  folderIdentity,
  liveRunError,
  readVerdict,
  selectStages,
} from './launch-steps.js'

export const BACKEND_NAMES: readonly BackendName[] = ['local', 'slurm', 'vast']
export type {StageChoice} from './launch-steps.js'
export type {LaunchOptions, LaunchResult} from './launch-types.js'
import type {LaunchOptions, LaunchResult} from './launch-types.js'

/**
 * Launch an experiment's engines on a backend: resolve it, refuse while it has a live run (unless force), record
 * the run (run.json with every stage queued) under the workspace lock, then let the backend prepare and submit it.
 * The lock is never held while engines run.
 */
export async function launchExperiment(ws: Workspace, options: LaunchOptions): Promise<LaunchResult> {
  const target = options.target ?? (await resolveTarget(ws, options.name))
  // a sweep's variant (EXP/V) is launched like an experiment: its folder is the one the engines run in
  const located = {...target, name: target.variant ? `${target.name}/${target.variant}` : target.name}
  if (located.location === 'archive') {
    throw new ExpError(
      `${located.name} is archived; launch only runs experiments in ${relativeToRoot(ws, ws.paths.experiments)}/.`,
      {code: 'ARCHIVED', suggestion: `exp restore ${located.name}`},
    )
  }
  if (CONTROL_CHARACTERS.test(located.name)) {
    // a folder made by hand can hold anything: its name goes into scripts, logs and records, so refuse it here
    throw new ExpError(
      `the folder name ${JSON.stringify(located.name)} holds a line break or control character; rename it before launching.`,
      {code: 'BAD_NAME'},
    )
  }
  const backendName = options.backend ?? ws.settings.backends.default
  for (const other of BACKEND_NAMES) {
    const set = Object.entries(options.flags?.[other] ?? {}).filter(([, v]) => v !== undefined)
    if (other !== backendName && set.length > 0) {
      const names = set.map(([k]) => `--${k.replace(/_/g, '-').replace(/^sbatch-args$/, 'sbatch-arg')}`).join(', ')
      throw new ExpError(
        `${names} ${set.length === 1 ? 'applies' : 'apply'} to the ${other} backend, but this launch uses ${backendName}.`,
        {code: 'BACKEND_FLAG', exit: EXIT.usage, suggestion: `exp launch ${options.name} --backend ${other}`},
      )
    }
  }

  // the backend's module loads while the experiment is read (awaited below, before anything is written)
  const loading = backendFor(backendName)
  loading.catch(() => {})
  const snapshot = await readLaunchSubject(ws, target, options)
  if (!snapshot.hasConfig) throw new ExpError(`${located.name} has no config.yaml to run.`, {code: 'NO_CONFIG'})
  const live = snapshot.runs.find((r) => isLive(r.state))
  if (live && !options.force) throw liveRunError(located.name, live)

  if (options.evaluation !== undefined && options.stage === 'train')
    throw new ExpError(
      '--eval re-runs one evaluation on the last completed checkpoint: use it with --stage evaluate.',
      {code: 'BAD_STAGE', exit: EXIT.usage},
    )
  const stageChoice = options.evaluation === undefined ? (options.stage ?? 'all') : 'evaluate'
  const templates = engineTemplates(ws)
  const stageNames = selectStages(Object.keys(templates) as StageName[], stageChoice, options.evaluation)
  let checkpointRunId: string | undefined
  if (stageChoice === 'evaluate' && !options.inputCheckpoint) {
    const trained = snapshot.runs.find((r) => r.stages.some((s) => s.name === 'train' && s.state === 'completed'))
    if (!trained) {
      throw new ExpError(`${located.name} has no run with a completed train, so there is no checkpoint to evaluate.`, {
        code: 'NO_CHECKPOINT',
        suggestion: `exp launch ${located.name}`,
      })
    }
    checkpointRunId = trained.run_id
  }

  const now = options.now()
  const runId = newRunId(now, options.random ?? (() => randomHex(2)))
  const rdir = runDir(snapshot.dir, runId)
  const evaluateCheckpoint = stageChoice === 'evaluate' ? options.inputCheckpoint : undefined
  const localSettings = await loadLocalSettings(ws)
  const local = localValues(
    localSettings,
    stageNames.flatMap((n) => templates[n]),
    'exp.yaml engines',
  )
  const valuesOf = (stage: StageName) => ({
    ...placeholderValues({
      checkpointRunId,
      env: options.env,
      evaluateCheckpoint,
      evaluation: evaluationOf(stage),
      experimentDir: snapshot.dir,
      inputCheckpoint: options.inputCheckpoint,
      runId,
      ws,
    }),
    ...local,
  })
  const stages: StagePlan[] = stageNames.map((name) => ({
    argv: expandArgv(templates[name], valuesOf(name)),
    cwd: snapshot.dir,
    log: path.join(rdir, `${name}.log`),
    name,
  }))
  const rel = runPaths(runId, checkpointRunId)
  const suite = stageNames.flatMap((name) => {
    const evaluation = evaluationOf(name)
    return evaluation === undefined
      ? []
      : [[evaluation, path.join(snapshot.dir, runPaths(runId, checkpointRunId, evaluation).report)] as const]
  })
  const request: LaunchRequest = {
    afterJobs: options.afterJobs,
    // read whole, not streamed: a config is small, and a stream costs a launch its module
    configSha256: await fs
      .readFile(path.join(snapshot.dir, CONFIG_FILE))
      .then(sha256)
      .catch(() => undefined),
    checkpointDir: evaluateCheckpoint ?? path.join(snapshot.dir, rel.checkpointDir),
    detach: Boolean(options.detach),
    dryRun: Boolean(options.dryRun),
    env: options.env,
    experiment: snapshot,
    log: options.log,
    now: options.now,
    options: fillLocalSettings(
      localSettings,
      backendName,
      backendOptions(ws, backendName, options.flags?.[backendName]),
      shellQuote,
    ),
    report: path.join(snapshot.dir, rel.report),
    reports: suite.length > 0 ? Object.fromEntries(suite) : undefined,
    runDir: rdir,
    runId,
    stages,
    templates,
    ws,
  }
  const backend = await loading

  if (!request.dryRun) {
    await withWorkspaceLock(
      ws,
      async () => {
        // an archive (or a rename) that moved the experiment while this launch waited: never recreate its folder
        const current = await folderIdentity(snapshot.dir)
        if (current === undefined || current !== snapshot.identity) {
          throw new ExpError(
            `${located.name} was moved or replaced while this launch waited for the workspace lock; nothing was launched.`,
            {code: 'MOVED', suggestion: `exp show ${located.name}`},
          )
        }
        // a launch that raced ours between the check above and this lock (only runs recorded since then are read)
        const racing = options.force ? undefined : racingRun(snapshot)
        if (racing) throw liveRunError(located.name, racing)
        if (existsSync(rdir))
          throw new ExpError(`run folder ${relativeToRoot(ws, rdir)} already exists.`, {
            code: 'EXISTS',
            suggestion: 'launch again.',
          })
        const madeRuns = await createRunFolder(rdir)
        try {
          // the config this run ran, kept with it: `exp diff EXP@RUN-ID` compares it after config.yaml moved on
          await fs.copyFile(path.join(snapshot.dir, CONFIG_FILE), path.join(rdir, CONFIG_FILE))
          // an evaluation suite's engines write into reports/<run-id>/: there before they start
          if (request.reports) await fs.mkdir(path.dirname(Object.values(request.reports)[0]), {recursive: true})
          await writeRun(snapshot.dir, queuedRecord(request, backendName), options.now())
        } catch (error) {
          // nothing half-written: the run folder goes, and runs/ too when this launch made it
          await fs.rm(madeRuns ? path.dirname(rdir) : rdir, {force: true, recursive: true}).catch(() => {})
          throw error
        }
        await appendLaunchLog(
          launchLogFile(rdir),
          {
            action: 'launch',
            description: `run ${runId} of ${located.name} on ${backendName}${live ? ` (--force, beside live run ${live.run_id})` : ''}`,
            details: stages.map((s) => `${s.name}: ${JSON.stringify(s.argv)} in ${s.cwd}`),
            result: 'queued',
          },
          options.now(),
        )
      },
      {command: `launch ${located.name}`},
    )
  }

  let record: RunRecord
  let files: string[]
  let commands: string[][]
  let submitting = false
  try {
    const prepared = await backend.prepare(request)
    files = prepared.files
    commands = prepared.commands
    submitting = !request.dryRun
    record = request.dryRun || options.prepareOnly ? prepared.record : await backend.submit(prepared, options.io ?? {})
  } catch (error) {
    if (request.dryRun) throw error
    // failed while preparing (a missing key, no offer, an unwritable folder): nothing was started, so the run
    // never existed and leaves nothing on disk; failed while submitting: keep the record of what happened
    if (submitting) await abandon(snapshot.dir, runId, rdir, error, options.now)
    else await fs.rm(rdir, {force: true, recursive: true})
    throw error
  }

  const result: LaunchResult = {
    backend: backendName,
    commands,
    detached: request.detach,
    dry_run: request.dryRun,
    experiment: located.name,
    files: files.map((f) => relativeToRoot(ws, f)),
    forced_over: live?.run_id,
    record,
    report: record.report ? relativeToRoot(ws, path.join(snapshot.dir, record.report)) : undefined,
    run_dir: relativeToRoot(ws, rdir),
    run_id: runId,
    stages: stages.map((s) => ({argv: s.argv, cwd: s.cwd, log: relativeToRoot(ws, s.log), name: s.name})),
    state: record.state,
  }
  const failed = record.stages.find((s) => s.state === 'failed')
  if (!request.dryRun && failed) {
    const log = path.join(snapshot.dir, failed.log)
    const lastLine = (await fs.readFile(log, 'utf8').catch(() => '')).trimEnd().split('\n').pop()?.trim()
    result.failure = {
      last_output: lastLine && lastLine.length <= 240 && !lastLine.startsWith('exp: ') ? lastLine : undefined,
      log: relativeToRoot(ws, log),
      reason: failed.reason ?? `exited with code ${failed.exit_code ?? '?'}`,
      stage: failed.name,
    }
  }
  if (!request.dryRun && record.report && record.stages.some((s) => s.name === 'evaluate' && s.state === 'completed')) {
    result.verdict = await readVerdict(path.join(snapshot.dir, record.report), ws.settings.promote.metric)
  }
  return result
}

import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../../errors.js'
import {writeFileAtomic} from '../../lib/atomic.js'
import {readRun, runDir, runFile, writeRun} from '../../runs/record.js'
import {METRICS_FILE} from '../../runs/metrics.js'
import type {BackendContext, CollectResult, RunRef} from '../backend.js'
import {isEvaluateStage} from '../../launch/engines.js'
import {judgeEvaluation} from '../evaluation.js'
import {log, REMOTE_LOCAL_DIR} from './common.js'
import {markGroupDestroyed, othersHolding} from './group.js'
import type {VastCli} from './cli.js'
import {CHECKPOINT_SUMS} from './scripts.js'
import {currentAttempt, parseMarker, summarize, vastData} from './state.js'

/** Bringing a finished vast.ai run's results home, checking they all arrived, then destroying its instance. */
const COLLECT_TIMEOUT_MS = 120 * 60_000

export async function collectLocked(run: RunRef, context: BackendContext, cli: VastCli): Promise<CollectResult> {
  let record = await readRun(runFile(run.experimentDir, run.record.run_id))
  const data = vastData(record)
  const cur = currentAttempt(data)
  const name = record.experiment
  if (data.collected_at) {
    return {files: [], message: `run ${record.run_id}: results already collected at ${data.collected_at}.`, record}
  }
  if (data.exit_code === undefined || !cur || cur.instance_id === undefined || cur.destroyed_at) {
    return {
      files: [],
      message: `run ${record.run_id} ${record.state}${record.reason ? ` (${record.reason})` : ''}: there are no results on vast.ai to collect.`,
      record,
    }
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
    if (s.exit_code !== undefined && s.exit_code !== null && !existsSync(path.join(home, `${s.name}.log`)))
      problems.push(`${s.name}.log`)
  }
  const trained = record.stages.some((s) => s.name === 'train' && s.state === 'completed')
  const evaluated = record.stages.some((s) => s.name === 'evaluate' && s.state === 'completed')
  const reportText = await fs.readFile(path.join(home, 'report.json'), 'utf8').catch(() => undefined)
  if (evaluated) {
    if (reportText === undefined) problems.push('report.json')
    else {
      try {
        const value = JSON.parse(reportText) as unknown
        if (!value || typeof value !== 'object' || Array.isArray(value))
          problems.push('report.json (not a JSON object)')
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
    await log(
      run.experimentDir,
      record.run_id,
      {
        action: 'collect',
        description: `from instance ${id}`,
        details: `missing or invalid: ${problems.join(', ')}${why}`,
        result: 'failed',
      },
      context.now(),
    )
    throw new ExpError(
      `the results of run ${record.run_id} did not all arrive from instance ${id}: ${problems.join(', ')}${why}.`,
      {
        code: 'COLLECT_INCOMPLETE',
        suggestion: `exp collect ${name} again; the instance keeps them (stopped, billing disk) until they are collected.`,
      },
    )
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
  }
  // an evaluation suite: each evaluation's report, from out/reports/<name>.json
  for (const [evaluation, rel] of Object.entries(record.reports ?? {})) {
    const text = await fs.readFile(path.join(home, 'reports', `${evaluation}.json`), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    await writeFileAtomic(path.join(run.experimentDir, rel), text)
    files.push(path.join(run.experimentDir, rel))
  }
  // the one evaluation-outcome step every backend shares, once the reports are home
  for (const [i, stage] of record.stages.entries()) {
    if (!isEvaluateStage(stage.name) || stage.state !== 'completed') continue
    try {
      const outcome = await judgeEvaluation(run.experimentDir, record, i, context.ws.settings.gates, context.now())
      if (!outcome) continue
      if (outcome.failure)
        record.stages = record.stages.map((s, j) => (j === i ? {...s, reason: outcome.failure, state: 'failed'} : s))
      if (outcome.line) context.log(outcome.line)
      await log(run.experimentDir, record.run_id, outcome.entry, context.now())
    } catch (error) {
      context.log(`vast.ai: could not judge ${stage.name}'s report: ${messageOf(error)}`)
    }
  }
  if (checkpointFiles.length > 0) {
    const dst = path.join(run.experimentDir, data.checkpoint_dir)
    await fs.mkdir(path.dirname(dst), {recursive: true})
    // moved, not copied (checkpoints can be large): remote/ and the experiment are on the same filesystem
    await fs.rm(dst, {force: true, recursive: true})
    await fs.rename(checkpoints, dst).catch(async () => fs.cp(checkpoints, dst, {recursive: true}))
    files.push(dst)
    if (trained) {
      const {commitCollected} = await import('./checkpoint.js')
      const sums = await fs.readFile(path.join(home, 'status', CHECKPOINT_SUMS), 'utf8').catch(() => undefined)
      const argv = record.stages.find((s) => s.name === 'train')?.command ?? null
      const committed = await commitCollected({
        argv,
        checkpoint: data.checkpoint_dir,
        experimentDir: run.experimentDir,
        now: context.now,
        sums,
      })
      record.stages = record.stages.map((s) => (s.name === 'train' ? {...s, checkpoint: committed} : s))
    }
  }
  const now = context.now()
  data.collected_at = now.toISOString()
  let message = `run ${record.run_id}: ${files.length} result file(s) collected from instance ${id}`
  const others = await othersHolding(run.experimentDir, record.run_id, cur)
  if (data.options.auto_shutdown && others.length > 0) {
    message += `; instance ${id} is kept for ${others.length} other variant(s) on it (destroyed once their results are home)`
  } else if (data.options.auto_shutdown) {
    try {
      await cli.destroyInstance(id)
      cur.destroyed_at = now.toISOString()
      if (cur.shared) await markGroupDestroyed(run.experimentDir, record.run_id, cur, now)
      message += `; instance ${id} destroyed (auto-shutdown), billing stopped`
    } catch (error) {
      message += `; destroying instance ${id} failed (${messageOf(error)}): it still bills disk until vastai destroy instance ${id} -y`
    }
  } else {
    message += `; instance ${id} is kept (stopped) and still bills its disk until exp cancel ${name}`
  }
  summarize(record, now)
  await log(
    run.experimentDir,
    record.run_id,
    {
      action: 'collect',
      description: `from instance ${id}`,
      details: files.map((f) => path.relative(run.experimentDir, f)),
      result: message,
    },
    now,
  )
  record = await writeRun(run.experimentDir, record, now)
  return {files, message: `${message}.`, record}
}

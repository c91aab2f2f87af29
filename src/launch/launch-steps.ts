import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, EXIT, messageOf} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {metricValue, parseReport} from '../reports/report.js'
import {type BackendName, isLive, readRun, type RunRecord, runFile, type StageName, writeRun} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {endStages} from '../backends/stages.js'
import {evaluationOf, isEvaluateStage} from './engines.js'
import {appendLaunchLog, launchLogFile} from './launch-log.js'

/** The launch service's steps that need nothing of its flow: options, stages, the run folder, failure, verdict. */
export type StageChoice = 'all' | 'train' | 'evaluate'

/** What the report says, when the run wrote one. */
export interface Verdict {
  gates_passed: unknown
  metric: {name: string; value: unknown} | null
  decided_by: string
}
/** exp.yaml `backends.<name>` with the flags a person set on top (flags win; sbatch_args accumulate). */
export function backendOptions(
  ws: Workspace,
  name: BackendName,
  flags: Record<string, unknown> = {},
): Record<string, unknown> {
  const base: Record<string, unknown> = name === 'local' ? {} : {...ws.settings.backends[name]}
  const out: Record<string, unknown> = {...base}
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue
    if (key === 'sbatch_args' && Array.isArray(value))
      out.sbatch_args = [...((base.sbatch_args as string[] | undefined) ?? []), ...value]
    else out[key] = value
  }
  return out
}

/** The stages a launch runs: all, train, every evaluation, or one named evaluation of the suite (--eval). */
export function selectStages(all: StageName[], choice: StageChoice, evaluation: string | undefined): StageName[] {
  if (evaluation !== undefined) {
    const names = all.flatMap((s) => evaluationOf(s) ?? [])
    if (names.length === 0)
      throw new ExpError('--eval needs an evaluation suite: exp.yaml engines.evaluate is a single argument list.', {
        code: 'NO_SUITE',
        exit: EXIT.usage,
      })
    if (!names.includes(evaluation))
      throw new ExpError(`no evaluation "${evaluation}" in exp.yaml engines.evaluate (known: ${names.join(', ')}).`, {
        code: 'UNKNOWN_EVALUATION',
        exit: EXIT.usage,
      })
    return [`evaluate:${evaluation}`]
  }
  if (choice === 'all') return all
  return all.filter((s) => (choice === 'evaluate' ? isEvaluateStage(s) : s === choice))
}

/** The folder's device and inode: a folder moved away and another put in its place is not the same experiment. */
export async function folderIdentity(dir: string): Promise<string | undefined> {
  const stats = await fs.stat(dir).catch(() => undefined)
  return stats?.isDirectory() ? `${stats.dev}:${stats.ino}` : undefined
}

/** runs/<id>/ inside an existing experiment folder (never creates the experiment folder itself); true when runs/ was new. */
export async function createRunFolder(rdir: string): Promise<boolean> {
  const made = await fs.mkdir(path.dirname(rdir)).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
      return false
    },
  )
  await fs.mkdir(rdir)
  return made
}

export function liveRunError(name: string, run: RunRecord): ExpError {
  return new ExpError(`${name} already has a live run: ${run.run_id} is ${run.state} on ${run.backend}.`, {
    code: 'LIVE_RUN',
    suggestion: `exp watch ${name}, exp cancel ${name}, or launch anyway with --force.`,
  })
}

/** A launch that failed before its engines started: nothing live may be left behind in run.json. */
export async function abandon(
  experimentDir: string,
  runId: string,
  rdir: string,
  error: unknown,
  now: Clock,
): Promise<void> {
  try {
    const record = await readRun(runFile(experimentDir, runId))
    const live = isLive(record.state)
    const reason = live || !record.reason ? `launch failed: ${messageOf(error)}` : record.reason
    const at = now().toISOString()
    // the submission failed before any engine ran: the run is `not started`, never evidence about the experiment
    const notStarted = record.stages.every((s) => !s.started_at && (s.exit_code ?? null) === null)
    if (!notStarted && !live) return
    await writeRun(
      experimentDir,
      {
        ...record,
        ...(notStarted ? {not_started: true} : {}),
        reason,
        stages: endStages(record.stages, 'cancelled', reason, at),
      },
      now(),
    )
    await appendLaunchLog(
      launchLogFile(rdir),
      {
        action: 'launch',
        description: 'failed before the engines started',
        details: messageOf(error),
        result: notStarted ? 'not started' : 'cancelled',
      },
      now(),
    )
  } catch {
    // the record was never written (the failure came first): nothing to mark
  }
}

export async function readVerdict(file: string, metric: string): Promise<Verdict | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const report = parseReport(file, text, 0, 'experiment')
  if (!report.data) return undefined
  const value = metricValue(report, metric)
  const gates = (report.data.gates ?? report.data.exp_gates) as {decided_by?: unknown} | undefined
  return {
    decided_by: report.data.gates_passed === undefined ? 'none' : gates?.decided_by === 'exp' ? 'exp' : 'engine',
    gates_passed: report.data.gates_passed,
    metric: value === undefined ? null : {name: metric, value},
  }
}

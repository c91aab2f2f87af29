import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {packageVersion} from '../lib/package.js'
import {shellQuote} from '../lib/shell-quote.js'
import {type RunRecord, runDir, type StageName, writeRun} from '../runs/record.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {expandLocalSettings} from '../workspace/local.js'
import {arrayScriptFile, LIST_FILE, maxArraySize, submitArray, writeArrayScripts} from '../backends/slurm/array.js'
import {runSlurm} from '../backends/slurm/runner.js'
import {slurmResources} from '../backends/slurm.js'
import {endStages} from '../backends/stages.js'
import {isEvaluateStage} from '../launch/engines.js'
import {launchExperiment, type LaunchResult} from '../launch/launch.js'
import {appendLaunchLog, launchLogFile} from '../launch/launch-log.js'
import {backendOptions} from '../launch/launch-steps.js'
import type {VariantChoice} from './launch-select.js'
import type {SweepLaunchOptions, SweepLaunchResult} from './launch-types.js'

/** The folder of a sweep launch's array scripts and list files, inside the sweep's folder. */
export const LAUNCHES_DIR = 'launches'

interface Prepared {
  choice: VariantChoice
  launch: LaunchResult
}

/**
 * A sweep on SLURM: every chosen variant is recorded and prepared exactly as a single launch (its run folder,
 * run.json, its own batch scripts), then each stage is ONE job array over the variants — evaluation with
 * `--dependency=aftercorr:<train array> --kill-on-invalid-dep=yes`, so each variant's evaluation starts when its
 * own training succeeded and never after a failed one — chunked below the cluster's MaxArraySize. A refused sbatch
 * cancels what this launch submitted, records why in every variant's run, and fails with exit 1.
 */
export async function launchSlurmSweep(
  ws: Workspace,
  todo: VariantChoice[],
  options: SweepLaunchOptions & {jobs: number},
  base: SweepLaunchResult,
): Promise<SweepLaunchResult> {
  const prepared: Prepared[] = []
  for (const choice of todo) {
    const launch = await launchExperiment(ws, {
      ...options,
      backend: 'slurm',
      log: (line) => options.log(`${choice.variant}: ${line}`),
      name: choice.name,
      prepareOnly: true,
    })
    prepared.push({choice, launch})
  }
  const resources = slurmResources(
    expandLocalSettings(ws, 'slurm', backendOptions(ws, 'slurm', options.flags?.slurm), shellQuote),
  )
  const stages = prepared[0].launch.record.stages.map((s) => s.name)
  const max = options.dryRun ? Number.POSITIVE_INFINITY : await maxArraySize(options.env)
  const chunks: Prepared[][] = []
  for (let i = 0; i < prepared.length; i += Math.min(max, prepared.length)) chunks.push(prepared.slice(i, i + max))
  const sweepDir = path.dirname(todo[0].dir)
  const launchId = prepared[0].launch.run_id
  const variants = new Map(base.variants.map((v) => [v.variant, v]))
  for (const p of prepared)
    Object.assign(variants.get(p.choice.variant)!, {run_id: p.launch.run_id, state: p.launch.record.state})
  const submitted: string[] = []
  const records = new Map<string, RunRecord>(prepared.map((p) => [p.choice.variant, p.launch.record]))
  try {
    for (const [k, chunk] of chunks.entries()) {
      const dir = path.join(sweepDir, LAUNCHES_DIR, chunks.length > 1 ? `${launchId}-${k + 1}` : launchId)
      const input = {
        dir,
        experiment: base.experiment,
        resources,
        tasks: chunk.length,
        throttle: options.jobs,
        version: packageVersion(),
      }
      const runDirs = chunk.map((p) => runDir(p.choice.dir, p.launch.run_id))
      base.files.push(
        ...(
          await writeArrayScripts(
            dir,
            runDirs,
            stages.map((stage) => ({...input, stage})),
          )
        ).map((f) => relativeToRoot(ws, f)),
      )
      base.files.push(relativeToRoot(ws, path.join(dir, LIST_FILE)))
      let train: string | undefined
      for (const stage of stages) {
        const script = arrayScriptFile(dir, stage)
        if (options.dryRun) {
          base.commands.push([
            'sbatch',
            '--parsable',
            ...(isEvaluateStage(stage) && train
              ? [`--dependency=aftercorr:${train}`, '--kill-on-invalid-dep=yes']
              : []),
            script,
          ])
          if (!isEvaluateStage(stage)) train = `<${stage} array ${k + 1}>`
          continue
        }
        const r = await submitArray(script, isEvaluateStage(stage) ? train : undefined, options.env)
        base.commands.push(r.argv)
        if (!r.id)
          throw new ExpError(`sbatch refused the ${stage} array of ${base.experiment}: ${r.error}`, {
            code: 'SBATCH_FAILED',
          })
        submitted.push(r.id)
        if (!isEvaluateStage(stage)) train = r.id
        options.log(
          `${stage}: submitted SLURM array ${r.id} (${chunk.length} task(s), at most ${options.jobs} at once)${isEvaluateStage(stage) ? `, each after its own ${train} task succeeds` : ''}`,
        )
        for (const [task, p] of chunk.entries()) await recordTask(p, stage, r.id, task, script, records, options)
      }
    }
  } catch (error) {
    if (options.dryRun) throw error
    await abandonSweep(prepared, records, submitted, error, options)
    throw error
  }
  if (!options.dryRun) {
    // from here SLURM holds the runs: the array tasks, not this process, say whether they live
    for (const p of prepared) {
      const {supervisor_pid: _pid, supervisor_start: _start, ...rest} = records.get(p.choice.variant)!
      const saved = await writeRun(p.choice.dir, rest, options.now())
      Object.assign(variants.get(p.choice.variant)!, {state: saved.state})
    }
  }
  return {...base, variants: [...variants.values()]}
}

/** One variant's stage is task `task` of array `array`: its run.json names the task as soon as SLURM gave the id. */
async function recordTask(
  p: Prepared,
  stage: StageName,
  array: string,
  task: number,
  script: string,
  records: Map<string, RunRecord>,
  options: SweepLaunchOptions,
): Promise<void> {
  const id = `${array}_${task}`
  const record = records.get(p.choice.variant)!
  const jobs = {...(record.backend_data?.jobs as Record<string, Record<string, unknown>> | undefined)}
  const rel = (f: string) => path.relative(p.choice.dir, f)
  jobs[stage] = {
    ...jobs[stage],
    array: {job: array, list: rel(path.join(path.dirname(script), LIST_FILE)), script: rel(script), task},
    id,
  }
  const next = {
    ...record,
    backend_data: {...record.backend_data, jobs},
    stages: record.stages.map((s) => (s.name === stage ? {...s, job_id: id} : s)),
  }
  records.set(p.choice.variant, await writeRun(p.choice.dir, next, options.now()))
  await appendLaunchLog(
    launchLogFile(runDir(p.choice.dir, p.launch.run_id)),
    {
      action: stage,
      description: `submitted as task ${task} of SLURM array ${array}`,
      details: [`SLURM job ${id}`, `script ${rel(script)}`],
      result: 'queued',
    },
    options.now(),
  )
}

/** A refused sbatch: scancel what this launch submitted, and record in every variant's run why nothing runs. */
async function abandonSweep(
  prepared: Prepared[],
  records: Map<string, RunRecord>,
  submitted: string[],
  error: unknown,
  options: SweepLaunchOptions,
): Promise<void> {
  let cancelled = ''
  if (submitted.length > 0) {
    const r = await runSlurm('scancel', submitted, {env: options.env}).catch((e: unknown) => ({
      code: 1,
      stderr: messageOf(e),
    }))
    cancelled =
      r.code === 0
        ? `; cancelled array ${submitted.join(', ')}`
        : `; scancel ${submitted.join(' ')} failed: ${r.stderr.trim()}`
  }
  const reason = `${messageOf(error)}${cancelled}`
  const at = options.now().toISOString()
  for (const p of prepared) {
    const record = records.get(p.choice.variant)!
    const {supervisor_pid: _pid, supervisor_start: _start, ...rest} = record
    await writeRun(
      p.choice.dir,
      {...rest, reason, stages: endStages(record.stages, 'cancelled', `not run: ${reason}`, at)},
      options.now(),
    )
    await appendLaunchLog(
      launchLogFile(runDir(p.choice.dir, p.launch.run_id)),
      {action: 'launch', description: 'the sweep could not be submitted', details: reason, result: 'cancelled'},
      options.now(),
    )
  }
  options.log(`nothing of this launch is left queued: ${reason}`)
}

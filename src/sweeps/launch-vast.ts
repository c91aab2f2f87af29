import path from 'node:path'

import {messageOf} from '../errors.js'
import {endStages} from '../backends/stages.js'
import {awaitUploads, type GroupRun, rentGroup} from '../backends/vast/share.js'
import {resolveOptions} from '../backends/vast/offers.js'
import {launchExperiment, type LaunchResult} from '../launch/launch.js'
import {appendLaunchLog, launchLogFile} from '../launch/launch-log.js'
import {type RunRecord, runDir, writeRun} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {LAUNCHES_DIR} from './launch-slurm.js'
import type {VariantChoice} from './launch-select.js'
import type {SweepLaunchOptions, SweepLaunchResult} from './launch-types.js'

/** the launch waits for the payloads with polls no further apart than this (as a single vast launch) */
const SUBMIT_POLL_MAX_S = 10

interface Prepared {
  choice: VariantChoice
  launch: LaunchResult
}

/**
 * A sweep on vast.ai: every chosen variant is prepared exactly as a single vast launch (its run, its own payload),
 * then the variants are dealt over at most `jobs` instances; each instance runs its share one after another from
 * ONE payload (vast/group.ts). Unless detached, the launch waits until every instance has its payload; exp watch
 * then follows, collects each variant into its own folder, and the last collect on an instance destroys it.
 */
export async function launchVastSweep(
  ws: Workspace,
  todo: VariantChoice[],
  options: SweepLaunchOptions & {jobs: number},
  base: SweepLaunchResult,
): Promise<SweepLaunchResult> {
  const variants = new Map(base.variants.map((v) => [v.variant, v]))
  const prepared: Prepared[] = []
  for (const choice of todo) {
    const launch = await launchExperiment(ws, {
      ...options,
      backend: 'vast',
      log: (line) => options.log(`${choice.variant}: ${line}`),
      name: choice.name,
      prepareOnly: true,
    })
    prepared.push({choice, launch})
    Object.assign(variants.get(choice.variant)!, {run_id: launch.run_id, state: launch.record.state})
    base.files.push(...launch.files)
  }
  const count = Math.min(options.jobs, prepared.length)
  const groups = Array.from({length: count}, (_, k) => prepared.filter((_p, i) => i % count === k))
  if (options.dryRun) {
    base.commands.push(...prepared.flatMap((p) => p.launch.commands.slice(0, 1)).slice(0, count))
    for (const [k, g] of groups.entries())
      options.log(
        `instance ${k + 1} of ${count} would run ${g.map((p) => p.choice.variant).join(', ')}, one after another`,
      )
    return {...base, variants: [...variants.values()]}
  }
  const context = {env: options.env, log: options.log, now: options.now, ws}
  const sweepDir = path.dirname(todo[0].dir)
  const rented: GroupRun[] = []
  for (const [k, group] of groups.entries()) {
    const tag = `${prepared[0].launch.run_id}-${k + 1}`
    const runs = group.map((p) => ({experimentDir: p.choice.dir, record: p.launch.record}))
    try {
      const saved = await rentGroup(context, runs, path.join(sweepDir, LAUNCHES_DIR, tag), tag, base.experiment)
      saved.forEach((record, i) => rented.push({experimentDir: runs[i].experimentDir, record}))
      options.log(`instance ${k + 1} of ${count}: ${group.map((p) => p.choice.variant).join(', ')}, one after another`)
    } catch (error) {
      await abandonGroup(group, error, options)
      for (const p of group) variants.get(p.choice.variant)!.error = messageOf(error)
    }
  }
  let records: RunRecord[] = rented.map((r) => r.record)
  if (!options.detach && rented.length > 0) {
    const poll =
      Math.min(resolveOptions(ws.settings.backends.vast, options.flags?.vast).poll_interval, SUBMIT_POLL_MAX_S) * 1000
    records = await awaitUploads(context, rented, options.io ?? {}, poll)
  }
  for (const [i, record] of records.entries()) {
    const p = prepared.find((q) => q.choice.dir === rented[i].experimentDir)
    if (p) variants.get(p.choice.variant)!.state = record.state
  }
  const interrupted = Boolean(options.io?.signal?.aborted)
  return {...base, interrupted, variants: [...variants.values()]}
}

/** Nothing could be rented for a group: its runs end failed, saying why (nothing of theirs bills). */
async function abandonGroup(group: Prepared[], error: unknown, options: SweepLaunchOptions): Promise<void> {
  const reason = messageOf(error)
  const at = options.now().toISOString()
  for (const p of group) {
    const record = p.launch.record
    await writeRun(
      p.choice.dir,
      {...record, reason, stages: endStages(record.stages, 'failed', `not run: ${reason}`, at)},
      options.now(),
    )
    await appendLaunchLog(
      launchLogFile(runDir(p.choice.dir, p.launch.run_id)),
      {action: 'launch', description: 'no instance could be rented', details: reason, result: 'failed'},
      options.now(),
    )
    options.log(`${p.choice.variant}: not launched: ${reason}`)
  }
}

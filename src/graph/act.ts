import {existsSync} from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'

import {ExpError} from '../errors.js'
import {createExperiment} from '../experiments/create.js'
import {writeFileAtomic} from '../lib/atomic.js'
import type {Clock} from '../lib/time.js'
import {runPaths} from '../launch/engines.js'
import {launchExperiment, type LaunchResult} from '../launch/launch.js'
import type {BackendName} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {experimentDir} from './reconcile.js'
import {CONFIG_KEYS, type GraphDoc, type GraphNode} from './record.js'
import {checkpointSource} from './schedule.js'
import type {GraphStore} from './store.js'

/**
 * What a claimed train / finetune / eval node does: make sure it has an experiment (an existing one it names, or
 * `experiments/<date>-<node id>/` created on first claim with the spec's config as config.yaml), find its input
 * checkpoint, and launch the right engine through the launch service and a backend.
 */
export interface ActContext {
  ws: Workspace
  store: GraphStore
  now: Clock
  log: (line: string) => void
  /** who holds the claim: a node that is no longer claimed by this pid is never written to */
  pid: number
}

/** Whether a node is still this process's claim (a person may have reset or marked it meanwhile). */
export function stillMine(node: GraphNode | undefined, pid: number): node is GraphNode {
  return node?.status === 'in_progress' && node.claimed_by?.pid === pid
}

/** The node's experiment, created (and recorded in the graph) when it has none yet. */
export async function ensureExperiment(ctx: ActContext, node: GraphNode): Promise<string> {
  if (node.experiment) return node.experiment
  const key = CONFIG_KEYS[node.action]!
  const config = (node.spec?.[key] ?? {}) as Record<string, unknown>
  // the spec's config, kept beside the workspace state as the new experiment's base (its provenance)
  const base = path.join(ctx.ws.paths.state, 'graph', `${node.id}.yaml`)
  await writeFileAtomic(base, stringify(config))
  const created = await createExperiment(ctx.ws, {
    from: base,
    hypothesis: `work graph node ${node.id} (${node.action})`,
    name: node.id,
    now: ctx.now,
  })
  await ctx.store.update('run', (doc) => {
    const current = doc.nodes[node.id]
    if (stillMine(current, ctx.pid)) current.experiment = created.name
  })
  ctx.log(`${node.id}: created experiment ${created.name}`)
  return created.name
}

/** The input checkpoint folder of a finetune/eval node: its source node's latest run's checkpoint (absolute). */
export function inputCheckpoint(ws: Workspace, doc: GraphDoc, node: GraphNode): string | undefined {
  const {problem, source} = checkpointSource(doc, node)
  if (problem) throw new ExpError(`node "${node.id}": ${problem}.`, {code: 'INVALID_GRAPH'})
  if (!source) return undefined
  const from = doc.nodes[source]
  const run = from.runs?.at(-1)
  if (!from.experiment || !run)
    throw new ExpError(`node "${node.id}": its input checkpoint comes from ${source}, which has no run yet.`, {
      code: 'NO_CHECKPOINT',
    })
  return path.join(experimentDir(ws, from), runPaths(run).checkpointDir)
}

export interface LaunchNodeOptions {
  backend: BackendName
  signal?: AbortSignal
  afterJobs?: string[]
  /** the graph as claimed (for the input checkpoint) */
  doc: GraphDoc
}

/** Launch a node's engine on its experiment: train → train stage, finetune → train stage with the finetune engine, eval → evaluate. */
export async function launchNode(ctx: ActContext, node: GraphNode, options: LaunchNodeOptions): Promise<LaunchResult> {
  const experiment = await ensureExperiment(ctx, node)
  const checkpoint = inputCheckpoint(ctx.ws, options.doc, node)
  if (checkpoint && options.backend === 'local' && !existsSync(checkpoint)) {
    throw new ExpError(`node "${node.id}": its input checkpoint ${checkpoint} does not exist.`, {code: 'NO_CHECKPOINT'})
  }
  return launchExperiment(ctx.ws, {
    afterJobs: options.afterJobs,
    backend: options.backend,
    engine: node.action === 'finetune' ? 'finetune' : 'train',
    inputCheckpoint: checkpoint,
    io: {signal: options.signal},
    log: (line) => ctx.log(`${node.id}: ${line}`),
    name: experiment,
    now: ctx.now,
    stage: node.action === 'eval' ? 'evaluate' : 'train',
  })
}

/** The job ids a backend gave a run (SLURM stages' jobs, a vast instance). */
export function jobIdsOf(result: LaunchResult): string[] {
  const ids = result.record.stages.flatMap((s) => (s.job_id ? [s.job_id] : []))
  const instance = result.record.backend_data?.instance_id
  if (instance !== undefined && instance !== null) ids.push(`vast:${String(instance)}`)
  return ids
}

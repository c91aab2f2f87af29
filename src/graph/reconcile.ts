import {processGone} from '../lib/process-identity.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import type {RunObservation} from './observation.js'
import {type GraphDoc, type GraphNode, transition} from './record.js'
import {depsCompleted, topoOrder} from './schedule.js'

/**
 * Bringing node statuses up to date with the world: a runner that is gone, jobs that ended, noops whose
 * dependencies completed. What needs I/O (run records, one backend query per backend) is observed before the lock;
 * `settle` applies it under the lock to the graph as it is then, so nothing a concurrent writer did is lost.
 */
export {experimentDir, type RunObservation} from './observation.js'

/** Nodes a backend holds (job ids, no live claimer to report back): their runs, refreshed with one query per backend. */
export async function observeJobs(
  ws: Workspace,
  doc: GraphDoc | undefined,
  context: {now: Clock; log: (line: string) => void},
): Promise<Map<string, RunObservation>> {
  const held = doc
    ? Object.values(doc.nodes).filter(
        (n) => n.status === 'in_progress' && n.claimed_by?.job_ids?.length && n.experiment && n.runs?.length,
      )
    : []
  if (!doc || held.length === 0) return new Map()
  // run records and backends, loaded only when a backend holds a node (a graph at rest needs none of them)
  const {observeHeld} = await import('./observe-jobs.js')
  return observeHeld(ws, doc, held, context)
}

export interface SettleContext {
  now: Date
  by: string
  jobs?: Map<string, RunObservation>
  /** the graph's dependency order, when the caller has it (assertValidGraph's) */
  order?: GraphNode[]
}

/**
 * Under the lock: claimers gone (same host, dead pid) → interrupted; backend-held nodes whose run ended → their
 * outcome (a node SLURM cancelled because a dependency failed says so); noops whose dependencies all completed →
 * completed. Returns the ids changed.
 */
export function settle(doc: GraphDoc, context: SettleContext): string[] {
  const changed: string[] = []
  for (const node of context.order ?? topoOrder(doc)) {
    const claimer = node.claimed_by
    if (node.status === 'in_progress' && claimer) {
      const seen = context.jobs?.get(node.id)
      if (claimer.job_ids?.length) {
        if (!seen || seen.run !== node.runs?.at(-1)) continue
        const outcome = seen.outcome
        if (!outcome) continue
        const upstream = node.depends_on
          .map((d) => doc.nodes[d])
          .find((d) => d.status === 'failed' || d.status === 'interrupted')
        const why =
          outcome.status === 'interrupted' && upstream
            ? `dependency ${upstream.id} ${upstream.status} (${outcome.why})`
            : outcome.why
        transition(node, {by: context.by, now: context.now, run: seen.run, to: outcome.status, why})
        changed.push(node.id)
      } else if (processGone(claimer)) {
        transition(node, {
          by: context.by,
          now: context.now,
          to: 'interrupted',
          why: `claimer gone: pid ${claimer.pid} on ${claimer.host} is no longer running`,
        })
        changed.push(node.id)
      }
    } else if (node.status === 'not_started' && node.action === 'noop' && depsCompleted(doc, node)) {
      transition(node, {by: context.by, now: context.now, to: 'completed', why: 'noop: its dependencies completed'})
      changed.push(node.id)
    }
  }
  return changed
}

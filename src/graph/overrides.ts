import {EXIT, ExpError} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {nodeOf} from './edit.js'
import {observeJobs, settle} from './reconcile.js'
import {actor, type GraphDoc, type GraphNode, type NodeStatus, transition} from './record.js'
import {type GraphStore, noGraphError} from './store.js'
import {assertValidGraph} from './validate.js'
import type {Workspace} from '../workspace/workspace.js'

/**
 * A person's word over a node's status, each recorded in the node's history with the reason: `reset` (→
 * not_started, optionally with everything downstream) and `mark` (completed, failed or not_started).
 */
export const MARK_STATUSES = ['completed', 'failed', 'not_started'] as const satisfies readonly NodeStatus[]
export type MarkStatus = (typeof MARK_STATUSES)[number]

export interface OverrideOptions {
  id: string
  reason?: string
  dryRun?: boolean
  now: Clock
}

export interface OverrideResult {
  dry_run: boolean
  version: number
  changed: Array<{id: string; from: NodeStatus; to: NodeStatus}>
}

/** Every node that depends on `id`, directly or not. */
function downstreamOf(doc: GraphDoc, id: string): GraphNode[] {
  const out = new Set<string>()
  let frontier = [id]
  while (frontier.length > 0) {
    const next = Object.values(doc.nodes).filter(
      (n) => !out.has(n.id) && n.depends_on.some((d) => frontier.includes(d)),
    )
    for (const n of next) out.add(n.id)
    frontier = next.map((n) => n.id)
  }
  return [...out].map((d) => doc.nodes[d])
}

function setStatus(node: GraphNode, to: NodeStatus, why: string, by: string, now: Date): void {
  transition(node, {by, now, to, why})
  if (to !== 'in_progress') delete node.claimed_by
}

/** Apply `change` to the graph as it is under the lock (after bringing it up to date), or to a copy with --dry-run. */
async function override(
  ws: Workspace,
  store: GraphStore,
  command: string,
  options: OverrideOptions,
  change: (doc: GraphDoc, by: string) => OverrideResult['changed'],
): Promise<OverrideResult> {
  const by = actor(`graph ${command}`)
  const view = await store.read()
  if (!view) throw noGraphError(store.label)
  assertValidGraph(view, store.label)
  const jobs = await observeJobs(ws, view, {log: () => {}, now: options.now})
  if (options.dryRun) {
    settle(view, {by, jobs, now: options.now()})
    return {changed: change(view, by), dry_run: true, version: view.version}
  }
  const {doc, result} = await store.update(command, (doc) => {
    settle(doc, {by, jobs, now: options.now()})
    return change(doc, by)
  })
  return {changed: result, dry_run: false, version: doc.version}
}

export async function resetNode(
  ws: Workspace,
  store: GraphStore,
  options: OverrideOptions & {downstream?: boolean},
): Promise<OverrideResult> {
  return override(ws, store, 'reset', options, (doc, by) => {
    const node = nodeOf(doc, options.id, store.label)
    const targets = [node, ...(options.downstream ? downstreamOf(doc, node.id) : [])].filter(
      (n) => n.status !== 'not_started',
    )
    const live = targets.find((n) => n.status === 'in_progress')
    if (live) {
      throw new ExpError(
        `${live.id} is in progress (claimed by pid ${live.claimed_by?.pid} on ${live.claimed_by?.host}); reset leaves running nodes alone.`,
        {
          code: 'IN_PROGRESS',
          exit: EXIT.failure,
          suggestion: `stop its runner, or exp graph mark ${live.id} not_started if you are sure it is gone`,
        },
      )
    }
    const why = options.reason ?? 'reset by a person'
    return targets.map((n) => {
      const from = n.status
      setStatus(n, 'not_started', why, by, options.now())
      return {from, id: n.id, to: 'not_started' as const}
    })
  })
}

export async function markNode(
  ws: Workspace,
  store: GraphStore,
  options: OverrideOptions & {status: MarkStatus},
): Promise<OverrideResult> {
  return override(ws, store, 'mark', options, (doc, by) => {
    const node = nodeOf(doc, options.id, store.label)
    const from = node.status
    if (from === options.status) return []
    setStatus(node, options.status, options.reason ?? `marked ${options.status} by a person`, by, options.now())
    return [{from, id: node.id, to: options.status}]
  })
}

/** One line per change: `Set a: failed → not_started.` (`Would set` with --dry-run). */
export function describeChanges(result: OverrideResult): string {
  if (result.changed.length === 0) return 'Nothing to change.'
  const verb = result.dry_run ? 'Would set' : 'Set'
  return result.changed.map((c) => `${verb} ${c.id}: ${c.from} → ${c.to}.`).join('\n')
}

import {readFileSync} from 'node:fs'
import path from 'node:path'

import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {experimentDir, observeJobs, settle} from './reconcile.js'
import {type Action, actor, type GraphDoc, type GraphNode, type NodeStatus} from './record.js'
import {isRunnable, topoOrder, whyNot} from './schedule.js'
import {type GraphStore, noGraphError} from './store.js'
import {assertValidGraph} from './validate.js'

/**
 * `exp graph show` and `exp graph next`: the graph brought up to date (claimers gone, jobs ended, noops done:
 * written under the lock only when something changed), then each node in dependency order with why it waits.
 */
export interface NodeRow {
  id: string
  action: Action
  status: NodeStatus
  depends_on: string[]
  experiment: string | null
  run: string | null
  duration_s: number | null
  /** the experiment's own verdict from the node's report (gates_passed); shown, never the node's status */
  verdict: 'passed' | 'failed' | null
  runnable: boolean
  why: string | null
}

export interface GraphView {
  file: string
  version: number
  updated_utc: number
  nodes: NodeRow[]
  counts: Partial<Record<NodeStatus, number>>
  /** the node `exp graph run` would claim now */
  next: string | null
  /** statuses brought up to date by this command */
  updated: string[]
}

/** The graph, up to date: observed outside the lock, written under it only when something changed. */
export async function freshGraph(
  ws: Workspace,
  store: GraphStore,
  now: Clock,
): Promise<{doc: GraphDoc; updated: string[]; order?: GraphNode[]}> {
  const view = await store.read()
  if (!view) throw noGraphError(store.label)
  const order = assertValidGraph(view, store.label)
  const by = actor('graph show')
  const jobs = await observeJobs(ws, view, {log: () => {}, now})
  // settle changes a node only when it has something to record: nothing changed → the graph as read is current
  // (nothing written, no lock taken); otherwise the change is made again under the lock on a fresh read (this copy
  // is a private parse, then dropped)
  if (settle(view, {by, jobs, now: now(), order}).length === 0) return {doc: view, order, updated: []}
  const {doc, result} = await store.update('show', (doc) => settle(doc, {by, jobs, now: now()}))
  return {doc, updated: result}
}

function duration(node: GraphNode, nowS: number): number | null {
  const history = node.history
  if (!Array.isArray(history)) return null
  // the latest claim, then (unless still in progress) the latest other transition at or after it
  let start = history.length - 1
  while (start >= 0 && history[start].to !== 'in_progress') start--
  if (start < 0) return null
  const from = history[start].at_utc
  let end: number | undefined = node.status === 'in_progress' ? nowS : undefined
  for (let i = history.length - 1; end === undefined && i >= 0; i--)
    if (history[i].at_utc >= from && history[i].to !== 'in_progress') end = history[i].at_utc
  return end === undefined ? null : Math.round((end - from) * 10) / 10
}

function verdict(ws: Workspace, node: GraphNode): NodeRow['verdict'] {
  const run = node.runs?.at(-1)
  if (!run || !node.experiment || node.action !== 'eval') return null
  try {
    const report = JSON.parse(readFileSync(path.join(experimentDir(ws, node), 'reports', `${run}.json`), 'utf8')) as {
      gates_passed?: unknown
    }
    return report.gates_passed === true ? 'passed' : report.gates_passed === false ? 'failed' : null
  } catch {
    return null
  }
}

export async function showGraph(ws: Workspace, store: GraphStore, options: {now: Clock}): Promise<GraphView> {
  const fresh = await freshGraph(ws, store, options.now)
  const {doc, updated} = fresh
  const order = fresh.order ?? topoOrder(doc)
  const nowS = options.now().getTime() / 1000
  const counts: GraphView['counts'] = {}
  let next: string | null = null
  const nodes = order.map((n): NodeRow => {
    counts[n.status] = (counts[n.status] ?? 0) + 1
    const runnable = isRunnable(doc, n)
    if (runnable && next === null) next = n.id
    return {
      action: n.action,
      depends_on: n.depends_on,
      duration_s: duration(n, nowS),
      experiment: n.experiment ?? null,
      id: n.id,
      run: n.runs?.at(-1) ?? null,
      runnable,
      status: n.status,
      verdict: verdict(ws, n),
      why: runnable ? null : (whyNot(doc, n) ?? null),
    }
  })
  return {
    counts,
    file: store.label,
    next,
    nodes,
    updated,
    updated_utc: doc.updated_utc,
    version: doc.version,
  }
}

/** Graphviz: one box per node, coloured by status, an edge from each dependency to its dependent. */
export function toDot(view: GraphView): string {
  const colour: Record<NodeStatus, string> = {
    completed: 'palegreen',
    failed: 'salmon',
    in_progress: 'lightblue',
    interrupted: 'orange',
    not_started: 'white',
  }
  const q = (s: string) => JSON.stringify(s)
  const lines = ['digraph work_graph {', '  rankdir=LR;', '  node [shape=box, style=filled];']
  for (const n of view.nodes)
    lines.push(
      `  ${q(n.id)} [label=${q(`${n.id}\n${n.action} · ${n.status}`)}, fillcolor=${colour[n.status] ?? 'white'}];`,
    )
  for (const n of view.nodes) for (const d of n.depends_on) lines.push(`  ${q(d)} -> ${q(n.id)};`)
  lines.push('}')
  return lines.join('\n')
}

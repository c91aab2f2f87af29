import os from 'node:os'

import {EXIT, ExpError} from '../errors.js'
import type {BackendName} from '../runs/record.js'

/**
 * `work_graph.json`, in exactly the format teams already keep: `version` (integer), `updated_utc` (float seconds),
 * `nodes` keyed by node id; each node `id`, `action`, `depends_on`, `status`, `spec`. exp adds fields of its own to a
 * node (`experiment`, `runs`, `claimed_by`, `reason`, `history`) and keeps every field it does not know: documents
 * are plain parsed JSON, changed in place, never rebuilt from a schema.
 */
export const ACTIONS = ['train', 'finetune', 'eval', 'paper', 'noop'] as const
export type Action = (typeof ACTIONS)[number]
export const NODE_STATUSES = ['not_started', 'in_progress', 'completed', 'failed', 'interrupted'] as const
export type NodeStatus = (typeof NODE_STATUSES)[number]

/** The spec key holding each acting node's config. */
export const CONFIG_KEYS: Partial<Record<Action, string>> = {
  eval: 'eval_config',
  finetune: 'experiment_config',
  train: 'train_config',
}

/** Who holds an in-progress node: enough to tell, later, whether it is still there. */
export interface Claimer {
  host: string
  pid: number
  /** the claimer's start time and boot (src/lib/process-identity.ts), so a reused pid is not taken for it */
  start?: string
  boot_id?: string
  started_utc: number
  backend: BackendName
  /** the node's jobs (SLURM job ids, a vast instance), when a backend holds it rather than the claimer */
  job_ids?: string[]
  command?: string
}

export interface HistoryEntry {
  at_utc: number
  from: NodeStatus | null
  to: NodeStatus
  /** `user@host pid N (exp graph run)` */
  by: string
  why: string
  run?: string
}

export interface GraphNode {
  id: string
  action: Action
  depends_on: string[]
  status: NodeStatus
  spec?: Record<string, unknown>
  experiment?: string
  runs?: string[]
  claimed_by?: Claimer
  reason?: string
  history?: HistoryEntry[]
  [field: string]: unknown
}

export interface GraphDoc {
  version: number
  updated_utc: number
  nodes: Record<string, GraphNode>
  [field: string]: unknown
}

export function emptyGraph(): GraphDoc {
  // the team's key order: version, updated_utc, nodes
  return {version: 0, updated_utc: 0, nodes: {}}
}

/** Parse the file's text: only what makes it unusable as JSON is refused here; the rules are in validate.ts. */
export function parseGraph(text: string, label: string): GraphDoc {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ExpError(`${label} is not valid JSON: ${(error as Error).message.split('\n')[0]}.`, {
      code: 'INVALID_GRAPH',
      exit: EXIT.usage,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExpError(`${label}: expected a JSON object with version, updated_utc and nodes.`, {
      code: 'INVALID_GRAPH',
      exit: EXIT.usage,
    })
  }
  return value as GraphDoc
}

export function serializeGraph(doc: GraphDoc): string {
  return JSON.stringify(doc, null, 2) + '\n'
}

/** The next version of a document about to be written: version + 1, updated_utc now (float seconds). */
export function stamp(doc: GraphDoc, now: Date): void {
  doc.version = (Number.isInteger(doc.version) ? doc.version : 0) + 1
  doc.updated_utc = now.getTime() / 1000
}

/** `user@host pid N (exp graph run)`: who made a transition. */
export function actor(command: string): string {
  let user = process.env.USER ?? ''
  try {
    user = os.userInfo().username
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user || 'unknown'}@${os.hostname()} pid ${process.pid} (exp ${command})`
}

export interface Transition {
  to: NodeStatus
  why: string
  by: string
  now: Date
  run?: string
}

/** Change a node's status and record it in its history (who, when, why); `reason` is the why of the latest. */
export function transition(node: GraphNode, t: Transition): void {
  const entry: HistoryEntry = {
    at_utc: t.now.getTime() / 1000,
    by: t.by,
    from: node.status ?? null,
    to: t.to,
    why: t.why,
  }
  if (t.run) entry.run = t.run
  node.history = [...(Array.isArray(node.history) ? node.history : []), entry]
  node.status = t.to
  node.reason = t.why
}

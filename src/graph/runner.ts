import {existsSync} from 'node:fs'
import path from 'node:path'

import {isExpError, messageOf} from '../errors.js'
import {currentProcess} from '../lib/process-identity.js'
import {type Clock, sleep} from '../lib/time.js'
import type {BackendName} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {type ActContext, jobIdsOf, launchNode, stillMine} from './act.js'
import {outcomeOf} from './observe-jobs.js'
import {experimentDir, observeJobs, settle} from './reconcile.js'
import {actor, type GraphDoc, type GraphNode, type NodeStatus, transition} from './record.js'
import {runnableNodes} from './schedule.js'
import type {GraphStore} from './store.js'

/**
 * `exp graph run`: claim runnable nodes (one atomic read-check-write under the lock each) and run them, up to
 * `workers` at once, until nothing is runnable and nothing is in progress. Any number of runners may share a graph:
 * each claim re-reads the file under the lock, so two never hold the same node.
 */
export interface RunGraphOptions {
  store: GraphStore
  workers: number
  backend: BackendName
  maxNodes?: number
  dryRun?: boolean
  signal?: AbortSignal
  now: Clock
  log: (line: string) => void
  /** how often an idle runner looks at the graph again (ms) */
  pollMs?: number
  /** how often backend-held nodes are refreshed, one query per backend (ms) */
  jobPollMs?: number
  hooks?: NodeHooks
}

/** What a runner does around each node besides running it (the remote's fetch and push: src/remote/graph-hooks.ts). */
export interface NodeHooks {
  /** before the launch (fetch a missing input checkpoint); a throw fails the node with its message */
  beforeLaunch?(node: GraphNode, doc: GraphDoc): Promise<void>
  /** after a local run ended (push its experiment and checkpoint); a throw turns completed into failed */
  afterRun?(node: GraphNode, experiment: string, runId: string): Promise<void>
}

export interface NodeRun {
  id: string
  status: NodeStatus
  experiment?: string
  run?: string
  reason?: string
}

export interface RunGraphResult {
  dry_run: boolean
  /** dry run: the nodes that would be claimed now, in order */
  would_claim: string[]
  ran: NodeRun[]
  interrupted: boolean
  version: number
  /** a shared store's counts (the remote one: lease_taken, lease_wait_max_s, lease_wait_total_s) */
  store?: Record<string, number>
}

/** True when someone (or settle) has something for a runner: a runnable node, or a change to record. */
function hasWork(doc: GraphDoc, by: string, now: Date): {claimable: boolean; inProgress: boolean} {
  const changed = settle(doc, {by, now}).length > 0
  const claimable = changed || runnableNodes(doc).length > 0
  return {claimable, inProgress: Object.values(doc.nodes).some((n) => n.status === 'in_progress')}
}

export async function runGraph(ws: Workspace, options: RunGraphOptions): Promise<RunGraphResult> {
  const {log, now, store} = options
  const by = actor('graph run')
  const me = currentProcess()
  const ctx: ActContext = {log, now, pid: me.pid, store, ws}
  const result: RunGraphResult = {
    dry_run: Boolean(options.dryRun),
    interrupted: false,
    ran: [],
    version: 0,
    would_claim: [],
  }
  const first = await store.read()
  if (options.dryRun) {
    if (first) {
      settle(first, {by, now: now()})
      result.would_claim = runnableNodes(first).map((n) => n.id)
      result.version = first.version
    }
    return result
  }

  const active = new Map<string, Promise<void>>()
  let claimed = 0
  let lastJobPoll = 0
  const claimOne = async (): Promise<{id?: string; doc: GraphDoc}> => {
    const jobs = await maybeObserve()
    const {doc, result: id} = await store.update(
      'run',
      (doc) => {
        settle(doc, {by, jobs, now: now()})
        const node = runnableNodes(doc)[0]
        if (!node) return undefined
        transition(node, {by, now: now(), to: 'in_progress', why: `claimed by exp graph run (${options.backend})`})
        node.claimed_by = {...me, backend: options.backend, command: 'graph run', started_utc: now().getTime() / 1000}
        return node.id
      },
      // Ctrl-C ends a wait for a shared store's lease before a node is claimed (the lease waits that record a
      // node's outcome take no signal: they must finish)
      {signal: options.signal, skipIf: (doc) => (hasWork(doc, by, now()).claimable ? undefined : {result: undefined})},
    )
    return {doc, id}
  }
  const maybeObserve = async () => {
    if (Date.now() - lastJobPoll < (options.jobPollMs ?? 5000)) return undefined
    lastJobPoll = Date.now()
    return observeJobs(ws, await store.read(), {log, now})
  }

  const finish = async (id: string, to: NodeStatus, why: string, run?: string, jobIds?: string[]) => {
    const {doc} = await store.update('run', (doc) => {
      const node = doc.nodes[id]
      if (!stillMine(node, me.pid)) return
      if (run) node.runs = [...(node.runs ?? []), run]
      if (jobIds) node.claimed_by = {...node.claimed_by!, job_ids: jobIds}
      else transition(node, {by, now: now(), run, to, why})
    })
    const node = doc.nodes[id]
    result.ran.push({experiment: node?.experiment, id, reason: node?.reason, run, status: node?.status ?? to})
    log(`${id}: ${node?.status ?? to}${node?.reason ? ` (${node.reason})` : ''}`)
  }

  const runNode = async (id: string, doc: GraphDoc) => {
    const node = doc.nodes[id]
    let launched
    try {
      await options.hooks?.beforeLaunch?.(node, doc)
      launched = await launchNode(ctx, node, {backend: options.backend, doc, signal: options.signal})
    } catch (error) {
      if (isExpError(error) && error.code === 'INVALID_GRAPH' && error.exit === 2) throw error
      return finish(id, 'failed', `could not start: ${messageOf(error)}`)
    }
    if (options.backend !== 'local') return finish(id, 'in_progress', 'submitted', launched.run_id, jobIdsOf(launched))
    const dir = experimentDir(ws, {...node, experiment: launched.experiment})
    const reportExists = Boolean(launched.record.report && existsSync(path.join(dir, launched.record.report)))
    let outcome = outcomeOf(node, launched.record, reportExists) ?? {
      status: 'interrupted' as const,
      why: `run ${launched.run_id} ${launched.record.state}`,
    }
    if (outcome.status === 'interrupted') result.interrupted ||= Boolean(options.signal?.aborted)
    else if (options.hooks?.afterRun) {
      try {
        await options.hooks.afterRun(node, launched.experiment, launched.run_id)
      } catch (error) {
        if (outcome.status === 'completed')
          outcome = {status: 'failed', why: `run ${launched.run_id} completed, but ${messageOf(error)}`}
        else log(`${id}: ${messageOf(error)}`)
      }
    }
    return finish(id, outcome.status, outcome.why, launched.run_id)
  }

  let failure: unknown
  for (;;) {
    if (options.signal?.aborted || failure) break
    while (
      active.size < options.workers &&
      (options.maxNodes === undefined || claimed < options.maxNodes) &&
      !failure
    ) {
      const view = await store.read()
      if (!view || !hasWork(view, by, now()).claimable) break
      let claim
      try {
        claim = await claimOne()
      } catch (error) {
        // stopped while waiting to claim: nothing was claimed; the nodes running go on to their recorded end
        if (options.signal?.aborted && isExpError(error) && error.code === 'INTERRUPTED') break
        throw error
      }
      const {doc, id} = claim
      if (!id) break
      claimed++
      log(`${id}: claimed (${doc.nodes[id].action})`)
      active.set(
        id,
        runNode(id, doc)
          .catch((error) => {
            failure ??= error
          })
          .finally(() => active.delete(id)),
      )
    }
    if (active.size === 0) {
      const view = await store.read()
      const limitReached = options.maxNodes !== undefined && claimed >= options.maxNodes
      const work = view ? hasWork(view, by, now()) : {claimable: false, inProgress: false}
      if (limitReached || (!work.claimable && !work.inProgress)) break
      if (
        !work.claimable &&
        work.inProgress &&
        view &&
        Object.values(view.nodes).some((n) => n.claimed_by?.job_ids?.length && n.status === 'in_progress')
      ) {
        // backend-held nodes: bring them up to date (one query per backend), then look again
        const jobs = await maybeObserve()
        if (jobs?.size) await store.update('run', (doc) => settle(doc, {by, jobs, now: now()}))
      }
    }
    await Promise.race([sleep(options.pollMs ?? 250, options.signal).catch(() => {}), ...active.values()])
  }
  await Promise.all(active.values())
  if (failure) throw failure
  if (options.signal?.aborted) result.interrupted = true
  result.version = (await store.read())?.version ?? 0
  if (store.stats) result.store = store.stats()
  return result
}

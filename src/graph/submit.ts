import {messageOf} from '../errors.js'
import {currentProcess} from '../lib/process-identity.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {type ActContext, jobIdsOf, launchNode, stillMine} from './act.js'
import {actor, type GraphDoc, transition} from './record.js'
import {topoOrder, whyNot} from './schedule.js'
import {freshGraph} from './show.js'
import type {GraphStore} from './store.js'

/**
 * `exp graph submit --slurm`: the cluster as the graph's engine. Every not_started node whose dependencies are all
 * in the graph (completed, held by jobs, or submitted now) becomes one SLURM job that waits for its dependencies'
 * jobs (`--dependency=afterok:… --kill-on-invalid-dep=yes`), so the whole DAG runs with no exp process alive. noops
 * need no job (their dependents wait for their dependencies' jobs); paper nodes wait for a person. Statuses come up
 * to date at any later graph command, from the jobs' end records (one squeue call).
 */
export interface SubmitGraphOptions {
  store: GraphStore
  dryRun?: boolean
  now: Clock
  log: (line: string) => void
}

export interface PlannedNode {
  id: string
  action: string
  /** the jobs it waits for (afterok); none when its dependencies are completed */
  after: string[]
  run?: string
  job_ids: string[]
  error?: string
}

export interface SubmitGraphResult {
  dry_run: boolean
  submitted: PlannedNode[]
  skipped: Array<{id: string; why: string}>
  version: number
}

/** The jobs each node stands for once the plan is submitted: [] = already done; undefined = not in the graph's jobs. */
function plan(doc: GraphDoc): {
  submit: PlannedNode[]
  skipped: SubmitGraphResult['skipped']
  jobsOf: Map<string, string[]>
} {
  const jobsOf = new Map<string, string[]>()
  const submit: PlannedNode[] = []
  const skipped: SubmitGraphResult['skipped'] = []
  for (const node of topoOrder(doc)) {
    if (node.status === 'completed') jobsOf.set(node.id, [])
    else if (node.status === 'in_progress' && node.claimed_by?.job_ids?.length)
      jobsOf.set(
        node.id,
        node.claimed_by.job_ids.filter((j) => /^\d+$/.test(j)),
      )
    if (node.status !== 'not_started') continue
    const deps = node.depends_on.map((d) => jobsOf.get(d))
    if (node.action === 'paper' || deps.some((d) => d === undefined)) {
      skipped.push({
        id: node.id,
        why:
          whyNot(doc, node) ??
          (node.action === 'paper' ? 'waits for a person' : "a dependency is not in the graph's jobs"),
      })
      continue
    }
    const after = [...new Set(deps.flat() as string[])]
    if (node.action === 'noop') {
      jobsOf.set(node.id, after)
      continue
    }
    submit.push({action: node.action, after, id: node.id, job_ids: []})
    jobsOf.set(node.id, [`<${node.id}>`])
  }
  return {jobsOf, skipped, submit}
}

export async function submitGraph(ws: Workspace, options: SubmitGraphOptions): Promise<SubmitGraphResult> {
  const {log, now, store} = options
  let {doc} = await freshGraph(ws, store, now)
  const planned = plan(doc)
  if (options.dryRun) return {dry_run: true, skipped: planned.skipped, submitted: planned.submit, version: doc.version}
  const by = actor('graph submit')
  const me = currentProcess()
  const ctx: ActContext = {log, now, pid: me.pid, store, ws}
  const real = new Map<string, string[]>()
  const submitted: PlannedNode[] = []
  for (const item of planned.submit) {
    // placeholders of nodes submitted in this pass become their job ids; a node whose dependency failed to submit is skipped
    const after = item.after.flatMap((j) => (j.startsWith('<') ? (real.get(j.slice(1, -1)) ?? ['?']) : [j]))
    if (after.includes('?')) {
      planned.skipped.push({id: item.id, why: 'a dependency could not be submitted'})
      continue
    }
    const claim = await store.update('submit', (d) => {
      const node = d.nodes[item.id]
      if (node?.status !== 'not_started') return false
      transition(node, {by, now: now(), to: 'in_progress', why: 'claimed by exp graph submit --slurm'})
      node.claimed_by = {
        ...me,
        backend: 'slurm',
        command: 'graph submit',
        job_ids: [],
        started_utc: now().getTime() / 1000,
      }
      return true
    })
    doc = claim.doc
    if (!claim.result) {
      planned.skipped.push({id: item.id, why: 'claimed by someone else meanwhile'})
      continue
    }
    try {
      const launched = await launchNode(ctx, doc.nodes[item.id], {afterJobs: after, backend: 'slurm', doc})
      const ids = jobIdsOf(launched)
      real.set(item.id, ids)
      ;({doc} = await store.update('submit', (d) => {
        const node = d.nodes[item.id]
        if (!stillMine(node, me.pid)) return
        node.runs = [...(node.runs ?? []), launched.run_id]
        node.claimed_by = {...node.claimed_by!, job_ids: ids}
      }))
      submitted.push({...item, after, job_ids: ids, run: launched.run_id})
      log(`${item.id}: SLURM job ${ids.join(', ')}${after.length > 0 ? ` after ${after.join(', ')}` : ''}`)
    } catch (error) {
      ;({doc} = await store.update('submit', (d) => {
        const node = d.nodes[item.id]
        if (stillMine(node, me.pid))
          transition(node, {by, now: now(), to: 'failed', why: `could not submit: ${messageOf(error)}`})
      }))
      submitted.push({...item, after, error: messageOf(error)})
      log(`${item.id}: could not submit: ${messageOf(error)}`)
    }
  }
  return {dry_run: false, skipped: planned.skipped, submitted, version: doc.version}
}

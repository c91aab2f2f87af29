import {existsSync} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {refreshLiveRuns} from '../runs/refresh.js'
import {isLive, readRun, type RunRecord, runFile} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {experimentDir, type RunObservation} from './observation.js'
import type {GraphDoc, GraphNode, NodeStatus} from './record.js'

// The I/O half of reconcile.ts's observeJobs, loaded only when a backend holds a node: the held nodes' run records,
// the live ones refreshed with one query per backend, and each one's outcome for settle.

/** A node's status from its run's end: an eval also needs its report. undefined while the run is live. */
export function outcomeOf(
  node: GraphNode,
  record: RunRecord,
  reportExists: boolean,
): {status: NodeStatus; why: string} | undefined {
  if (isLive(record.state)) return undefined
  if (record.state === 'completed') {
    if (node.action === 'eval' && !reportExists)
      return {status: 'failed', why: `run ${record.run_id} completed without its report`}
    return {status: 'completed', why: `run ${record.run_id} completed`}
  }
  const stage = record.stages.find((s) => s.state === record.state)
  const detail =
    record.reason ??
    stage?.reason ??
    (stage?.exit_code === undefined ? undefined : `${stage.name} exited with code ${stage.exit_code}`)
  const why = `run ${record.run_id} ${record.state}${detail ? `: ${detail}` : ''}`
  return {status: record.state === 'failed' ? 'failed' : 'interrupted', why}
}

async function observe(ws: Workspace, node: GraphNode, run: string): Promise<RunObservation | undefined> {
  try {
    const dir = experimentDir(ws, node)
    const record = await readRun(runFile(dir, run))
    const reportExists = Boolean(record.report && existsSync(path.join(dir, record.report)))
    return {outcome: outcomeOf(node, record, reportExists), record, reportExists, run}
  } catch {
    return undefined
  }
}

export async function observeHeld(
  ws: Workspace,
  doc: GraphDoc,
  held: GraphNode[],
  context: {now: Clock; log: (line: string) => void},
): Promise<Map<string, RunObservation>> {
  const out = new Map<string, RunObservation>()
  // the live runs, each with its node's id, as refreshLiveRuns takes them (it puts the refreshed records back)
  const snapshots: Array<{dir: string; name: string; runs: RunRecord[]}> = []
  for (const node of held) {
    const seen = await observe(ws, node, node.runs!.at(-1)!)
    if (!seen) continue
    out.set(node.id, seen)
    if (isLive(seen.record.state)) snapshots.push({dir: experimentDir(ws, node), name: node.id, runs: [seen.record]})
  }
  if (snapshots.length === 0) return out
  try {
    await refreshLiveRuns(snapshots, {log: context.log, now: context.now, ws})
  } catch (error) {
    context.log(`cannot refresh the graph's jobs: ${messageOf(error)}`)
    return out
  }
  for (const snap of snapshots) {
    const node = doc.nodes[snap.name]
    const seen = await observe(ws, node, snap.runs[0].run_id)
    const record = snap.runs[0]
    if (seen) out.set(node.id, {...seen, outcome: outcomeOf(node, record, seen.reportExists), record})
  }
  return out
}

import {existsSync} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {Clock} from '../lib/time.js'
import {refreshLiveRuns} from '../runs/refresh.js'
import {isLive, readRun, runFile} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {experimentDir, type RunObservation} from './reconcile.js'
import type {GraphDoc, GraphNode} from './record.js'

/**
 * The I/O half of reconcile.ts's observeJobs, loaded only when a backend holds a node: the held nodes' run records,
 * the live ones refreshed with one query per backend.
 */
async function observe(ws: Workspace, node: GraphNode, run: string): Promise<RunObservation | undefined> {
  try {
    const dir = experimentDir(ws, node)
    const record = await readRun(runFile(dir, run))
    return {record, reportExists: Boolean(record.report && existsSync(path.join(dir, record.report))), run}
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
  const snapshots: ExperimentSnapshot[] = []
  for (const node of held) {
    const seen = await observe(ws, node, node.runs!.at(-1)!)
    if (!seen) continue
    out.set(node.id, seen)
    if (isLive(seen.record.state))
      snapshots.push({
        dir: experimentDir(ws, node),
        name: node.id,
        runs: [seen.record],
      } as unknown as ExperimentSnapshot)
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
    if (seen) out.set(node.id, {...seen, record: snap.runs[0]})
  }
  return out
}

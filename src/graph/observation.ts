import path from 'node:path'

import type {RunRecord} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import type {GraphNode, NodeStatus} from './record.js'

/** What observe-jobs.ts saw of a backend-held node's run, for settle (reconcile.ts) to apply under the lock. */
export interface RunObservation {
  run: string
  record: RunRecord
  reportExists: boolean
  /** the node's status from the run's end (observe-jobs.ts outcomeOf); undefined while the run is live */
  outcome?: {status: NodeStatus; why: string}
}

/** A node's experiment folder (`EXP/VARIANT` names its experiment's). */
export function experimentDir(ws: Workspace, node: GraphNode): string {
  return path.join(ws.paths.experiments, String(node.experiment).split('/')[0])
}

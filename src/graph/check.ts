import {listExperimentNames} from '../experiments/resolve.js'
import type {Workspace} from '../workspace/workspace.js'
import type {GraphDoc} from './record.js'
import {type GraphStore, noGraphError} from './store.js'
import {assertValidGraph, graphIssues, type GraphIssue} from './validate.js'

/** Every rule, including that each `experiment` exists: run before anything runs, and by `exp graph validate`. */
export interface CheckResult {
  file: string
  valid: boolean
  version: number
  nodes: number
  issues: GraphIssue[]
}

export async function checkGraph(
  ws: Workspace,
  store: GraphStore,
  options: {assert?: boolean} = {},
): Promise<CheckResult & {doc: GraphDoc}> {
  const doc = await store.read()
  if (!doc) throw noGraphError(store.label)
  const experiments = store.shared
    ? undefined
    : new Set((await listExperimentNames(ws, 'experiments')).map((e) => e.name))
  if (options.assert !== false) assertValidGraph(doc, store.label, {experiments})
  const issues = graphIssues(doc, {experiments})
  const nodes = doc.nodes && typeof doc.nodes === 'object' ? Object.keys(doc.nodes).length : 0
  return {doc, file: store.label, issues, nodes, valid: issues.length === 0, version: doc.version}
}

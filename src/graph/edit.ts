import {applyOverrides, parseOverride, readConfigDocument} from '../config/config-file.js'
import {EXIT, ExpError} from '../errors.js'
import {resolveBaseConfig} from '../experiments/create.js'
import {resolveExperiment} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {type Action, CONFIG_KEYS, emptyGraph, type GraphDoc, type GraphNode} from './record.js'
import {type GraphStore, noGraphError} from './store.js'
import {assertValidGraph} from './validate.js'

/** `exp graph add` and `exp graph remove`: the plan's shape, changed under the lock like everything else. */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

export interface AddNodeOptions {
  id: string
  action: Action
  dependsOn: string[]
  experiment?: string
  /** a config file (path, or a name in configs/) for the node's spec; default exp.yaml base_config */
  config?: string
  sets: string[]
  cwd: string
  now: Clock
  /** check everything and answer the node that would be added; the graph is not written */
  dryRun?: boolean
}

export interface EditResult {
  node: GraphNode
  version: number
  dry_run: boolean
}

export function nodeOf(doc: GraphDoc, id: string, label: string): GraphNode {
  const node = Object.hasOwn(doc.nodes, id) ? doc.nodes[id] : undefined
  if (!node) throw new ExpError(`${label} has no node "${id}".`, {code: 'NOT_FOUND', suggestion: 'exp graph show'})
  return node
}

export async function addNode(ws: Workspace, store: GraphStore, options: AddNodeOptions): Promise<EditResult> {
  if (!NODE_ID.test(options.id))
    throw new ExpError(
      `invalid node id "${options.id}": letters, digits, ".", "_" and "-", starting with a letter or digit.`,
      {code: 'INVALID_NAME', exit: EXIT.usage},
    )
  const configKey = CONFIG_KEYS[options.action]
  // the team's key order: id, action, depends_on, status, spec
  const node: GraphNode = {
    id: options.id,
    action: options.action,
    depends_on: [...new Set(options.dependsOn)],
    status: 'not_started',
    spec: {},
  }
  if (options.experiment) {
    if (options.sets.length > 0 || options.config)
      throw new ExpError('--experiment runs an existing experiment as it is: --config and --set do not apply.', {
        code: 'USAGE',
        exit: EXIT.usage,
      })
    node.experiment = (await resolveExperiment(ws, options.experiment, 'experiments')).name
  } else if (configKey) {
    const {doc} = await readConfigDocument(resolveBaseConfig(ws, options.config, options.cwd))
    applyOverrides(
      doc,
      options.sets.map((s) => parseOverride(s)),
    )
    node.spec = {[configKey]: doc.toJS() ?? {}}
  } else if (options.sets.length > 0 || options.config) {
    throw new ExpError(`a ${options.action} node runs nothing: --config and --set do not apply.`, {
      code: 'USAGE',
      exit: EXIT.usage,
    })
  }
  const add = (doc: GraphDoc) => {
    if (Object.hasOwn(doc.nodes, options.id))
      throw new ExpError(`${store.label} already has a node "${options.id}".`, {
        code: 'EXISTS',
        suggestion: `exp graph remove ${options.id}`,
      })
    doc.nodes[options.id] = node
    assertValidGraph(doc, store.label)
  }
  if (options.dryRun) {
    const current = (await store.read()) ?? emptyGraph()
    add(current)
    return {dry_run: true, node, version: current.version}
  }
  const {doc} = await store.update('add', add, {create: true})
  return {dry_run: false, node: doc.nodes[options.id], version: doc.version}
}

export interface RemoveNodeOptions {
  id: string
  dryRun?: boolean
  /** asked before anything changes (a prompt on a terminal); false cancels */
  confirm?: (node: GraphNode) => Promise<boolean>
}

function checkRemovable(doc: GraphDoc, id: string, label: string): GraphNode {
  const node = nodeOf(doc, id, label)
  const dependents = Object.values(doc.nodes)
    .filter((n) => n.depends_on.includes(id))
    .map((n) => n.id)
  if (dependents.length > 0)
    throw new ExpError(
      `cannot remove "${id}": ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it.`,
      {code: 'HAS_DEPENDENTS', suggestion: `remove or edit ${dependents.join(', ')} first`},
    )
  if (node.status === 'in_progress')
    throw new ExpError(`cannot remove "${id}": it is in progress.`, {
      code: 'IN_PROGRESS',
      suggestion: `exp graph mark ${id} failed, then remove it`,
    })
  return node
}

export async function removeNode(
  store: GraphStore,
  options: RemoveNodeOptions,
): Promise<EditResult & {confirmed: boolean}> {
  const current = await store.read()
  if (!current) throw noGraphError(store.label)
  const node = checkRemovable(current, options.id, store.label)
  if (options.dryRun) return {confirmed: true, dry_run: true, node, version: current.version}
  if (options.confirm && !(await options.confirm(node)))
    return {confirmed: false, dry_run: false, node, version: current.version}
  const {doc} = await store.update('remove', (doc) => {
    checkRemovable(doc, options.id, store.label)
    delete doc.nodes[options.id]
  })
  return {confirmed: true, dry_run: false, node, version: doc.version}
}

import {EXIT, ExpError} from '../errors.js'
import {ACTIONS, CONFIG_KEYS, type GraphDoc, type GraphNode, NODE_STATUSES} from './record.js'
import {checkpointSource, walkDependencies} from './schedule.js'

/**
 * Every rule a graph must satisfy before anything runs. Each problem is one line naming the node; `exp` stops with
 * the first (exit 2) and `exp graph validate --json` lists them all.
 */
export interface GraphIssue {
  node?: string
  message: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface ValidateOptions {
  /** experiments that exist (directory names in experiments/); omitted: `experiment` fields are not checked */
  experiments?: Set<string>
}

const KNOWN_ACTIONS: ReadonlySet<unknown> = new Set(ACTIONS)
const KNOWN_STATUSES: ReadonlySet<unknown> = new Set(NODE_STATUSES)

export function graphIssues(doc: GraphDoc, options: ValidateOptions = {}): GraphIssue[] {
  return checkGraph(doc, options).issues
}

/**
 * The rules in one pass over the nodes, then the cycle check, whose depth-first walk is also the dependency order
 * (topoOrder's, for a valid graph): `order` is set when there is no issue, so a caller need not sort again.
 */
export function checkGraph(doc: GraphDoc, options: ValidateOptions = {}): {issues: GraphIssue[]; order?: GraphNode[]} {
  const issues: GraphIssue[] = []
  if (!Number.isInteger(doc.version))
    issues.push({message: `"version" must be an integer, not ${JSON.stringify(doc.version)}`})
  if (typeof doc.updated_utc !== 'number' || !Number.isFinite(doc.updated_utc))
    issues.push({message: `"updated_utc" must be a number of seconds, not ${JSON.stringify(doc.updated_utc)}`})
  if (!isObject(doc.nodes)) return {issues: [...issues, {message: '"nodes" must be an object keyed by node id'}]}
  const nodes = doc.nodes
  const add = (node: string, message: string) => issues.push({message: `node "${node}": ${message}`, node})
  let structural = true
  let badDependency = false
  for (const key in nodes) {
    if (!Object.hasOwn(nodes, key)) continue
    const node = nodes[key] as unknown
    if (!isObject(node)) {
      add(key, 'must be an object')
      structural = false
      continue
    }
    if (node.id !== key) add(key, `its id is ${JSON.stringify(node.id)} but its key is "${key}"`)
    if (!KNOWN_ACTIONS.has(node.action))
      add(key, `unknown action ${JSON.stringify(node.action)} (known: ${ACTIONS.join(', ')})`)
    if (!KNOWN_STATUSES.has(node.status))
      add(key, `unknown status ${JSON.stringify(node.status)} (known: ${NODE_STATUSES.join(', ')})`)
    const deps = node.depends_on
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) {
      add(key, '"depends_on" must be a list of node ids')
      structural = false
      continue
    }
    for (const dep of deps as string[]) {
      if (dep === key) add(key, 'depends on itself')
      else if (!Object.hasOwn(nodes, dep)) add(key, `depends on "${dep}", which is not in the graph`)
      else continue
      badDependency = true
    }
    checkFields(key, node, options, add)
  }
  if (!structural || badDependency) return {issues}
  const walk = walkDependencies(doc)
  if (walk.cycle) {
    const cycle = walk.cycle
    issues.push({
      message: `node "${cycle[0]}": dependency cycle ${cycle.join(' → ')} (each depends on the next)`,
      node: cycle[0],
    })
    return {issues}
  }
  for (const key in nodes) {
    if (!Object.hasOwn(nodes, key)) continue
    const node = nodes[key]
    if (node.action !== 'finetune' && node.action !== 'eval') continue
    const source = checkpointSource(doc, node)
    if (source.problem) add(node.id, source.problem)
  }
  return issues.length === 0 ? {issues, order: walk.order} : {issues}
}

/** A node's spec and experiment: its action's config present, `experiment` a name (an existing one, when known). */
function checkFields(
  key: string,
  node: Record<string, unknown>,
  options: ValidateOptions,
  add: (node: string, message: string) => void,
): void {
  if (node.spec !== undefined && !isObject(node.spec)) add(key, '"spec" must be an object')
  const configKey = CONFIG_KEYS[node.action as keyof typeof CONFIG_KEYS]
  if (
    configKey &&
    node.experiment === undefined &&
    !isObject((node.spec as Record<string, unknown> | undefined)?.[configKey])
  ) {
    add(
      key,
      `${node.action === 'eval' ? 'an' : 'a'} ${node.action} node needs spec.${configKey} (an object) or an "experiment"`,
    )
  }
  if (node.experiment !== undefined) {
    if (typeof node.experiment !== 'string' || node.experiment === '')
      add(key, '"experiment" must be an experiment name')
    else if (options.experiments && !options.experiments.has(node.experiment.split('/')[0]))
      add(key, `experiment "${node.experiment}" does not exist`)
  }
}

/** Throw the first problem as one line (exit 2). Answers the dependency order (topoOrder's) of the valid graph. */
export function assertValidGraph(doc: GraphDoc, label: string, options: ValidateOptions = {}): GraphNode[] {
  const {issues, order} = checkGraph(doc, options)
  if (order) return order
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: exp graph validate)` : ''
  throw new ExpError(`${label}: ${issues[0].message}${more}.`, {code: 'INVALID_GRAPH', exit: EXIT.usage})
}

import {EXIT, ExpError} from '../errors.js'
import {ACTIONS, CONFIG_KEYS, type GraphDoc, type GraphNode, NODE_STATUSES} from './record.js'
import {checkpointSource} from './schedule.js'

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

export function graphIssues(doc: GraphDoc, options: ValidateOptions = {}): GraphIssue[] {
  const issues: GraphIssue[] = []
  if (!Number.isInteger(doc.version))
    issues.push({message: `"version" must be an integer, not ${JSON.stringify(doc.version)}`})
  if (typeof doc.updated_utc !== 'number' || !Number.isFinite(doc.updated_utc))
    issues.push({message: `"updated_utc" must be a number of seconds, not ${JSON.stringify(doc.updated_utc)}`})
  if (!isObject(doc.nodes)) return [...issues, {message: '"nodes" must be an object keyed by node id'}]
  const add = (node: string, message: string) => issues.push({message: `node "${node}": ${message}`, node})
  let structural = true
  for (const [key, node] of Object.entries(doc.nodes)) {
    if (!isObject(node)) {
      add(key, 'must be an object')
      structural = false
      continue
    }
    if (node.id !== key) add(key, `its id is ${JSON.stringify(node.id)} but its key is "${key}"`)
    if (!(ACTIONS as readonly unknown[]).includes(node.action))
      add(key, `unknown action ${JSON.stringify(node.action)} (known: ${ACTIONS.join(', ')})`)
    if (!(NODE_STATUSES as readonly unknown[]).includes(node.status))
      add(key, `unknown status ${JSON.stringify(node.status)} (known: ${NODE_STATUSES.join(', ')})`)
    if (!Array.isArray(node.depends_on) || node.depends_on.some((d) => typeof d !== 'string')) {
      add(key, '"depends_on" must be a list of node ids')
      structural = false
      continue
    }
    for (const dep of node.depends_on) {
      if (dep === key) add(key, 'depends on itself')
      else if (!Object.hasOwn(doc.nodes, dep)) add(key, `depends on "${dep}", which is not in the graph`)
    }
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
  if (!structural || issues.some((i) => /depends on/.test(i.message))) return issues
  const cycle = findCycle(doc)
  if (cycle)
    issues.push({
      message: `node "${cycle[0]}": dependency cycle ${cycle.join(' → ')} (each depends on the next)`,
      node: cycle[0],
    })
  else {
    for (const node of Object.values(doc.nodes)) {
      const source = checkpointSource(doc, node as GraphNode)
      if (source.problem) add(node.id, source.problem)
    }
  }
  return issues
}

/** Throw the first problem as one line (exit 2). */
export function assertValidGraph(doc: GraphDoc, label: string, options: ValidateOptions = {}): void {
  const issues = graphIssues(doc, options)
  if (issues.length === 0) return
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: exp graph validate)` : ''
  throw new ExpError(`${label}: ${issues[0].message}${more}.`, {code: 'INVALID_GRAPH', exit: EXIT.usage})
}

/** A dependency cycle as the path that closes it (`a → b → c → a`), or undefined. Iterative DFS: deep graphs never overflow. */
export function findCycle(doc: GraphDoc): string[] | undefined {
  const state = new Map<string, 1 | 2>()
  for (const start of Object.keys(doc.nodes)) {
    if (state.has(start)) continue
    const stack: Array<{id: string; next: number}> = [{id: start, next: 0}]
    state.set(start, 1)
    while (stack.length > 0) {
      const top = stack.at(-1)!
      const deps = doc.nodes[top.id].depends_on
      if (top.next >= deps.length) {
        state.set(top.id, 2)
        stack.pop()
        continue
      }
      const dep = deps[top.next++]
      if (state.get(dep) === 1) {
        // in depends_on order: a → b means a depends on b
        return [...stack.slice(stack.findIndex((f) => f.id === dep)).map((f) => f.id), dep]
      }
      if (!state.has(dep)) {
        state.set(dep, 1)
        stack.push({id: dep, next: 0})
      }
    }
  }
  return undefined
}

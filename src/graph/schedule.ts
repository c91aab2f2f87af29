import type {GraphDoc, GraphNode} from './record.js'

/**
 * Scheduling, as pure functions of a (valid) graph: the dependency order, the runnable nodes, why a node is not
 * runnable, and where a node's input checkpoint comes from. No I/O.
 */

/** Every node, each after all its dependencies; ties keep the file's order. */
export function topoOrder(doc: GraphDoc): GraphNode[] {
  return walkDependencies(doc).order
}

/**
 * Depth first from each node in the file's order, dependencies in their order (iterative: deep chains never
 * overflow): every node after its dependencies, and the first dependency cycle met as the path that closes it
 * (`a → b → c → a`: each depends on the next). A dependency that closes a cycle, or is not in the graph, is passed
 * over, so an invalid graph still has an order.
 */
export function walkDependencies(doc: GraphDoc): {cycle?: string[]; order: GraphNode[]} {
  const nodes = doc.nodes
  const state = new Map<string, 1 | 2>()
  const order: GraphNode[] = []
  const stack: string[] = []
  const next: number[] = []
  let cycle: string[] | undefined
  for (const start in nodes) {
    if (!Object.hasOwn(nodes, start) || state.has(start)) continue
    stack.push(start)
    next.push(0)
    state.set(start, 1)
    while (stack.length > 0) {
      const top = stack.length - 1
      const id = stack[top]
      const deps = nodes[id].depends_on
      if (next[top] >= deps.length) {
        state.set(id, 2)
        order.push(nodes[id])
        stack.pop()
        next.pop()
        continue
      }
      const dep = deps[next[top]++]
      const seen = state.get(dep)
      if (seen === 1) cycle ??= [...stack.slice(stack.indexOf(dep)), dep]
      else if (seen === undefined && Object.hasOwn(nodes, dep)) {
        state.set(dep, 1)
        stack.push(dep)
        next.push(0)
      }
    }
  }
  return {cycle, order}
}

/** Whether every dependency of a node is completed. */
export function depsCompleted(doc: GraphDoc, node: GraphNode): boolean {
  return node.depends_on.every((d) => doc.nodes[d]?.status === 'completed')
}

/**
 * Nodes a runner may claim now, in dependency order: `not_started` (the only status ever claimed by itself), every
 * dependency `completed`, and not a `paper` node (those wait for a person).
 */
export function runnableNodes(doc: GraphDoc, order = topoOrder(doc)): GraphNode[] {
  return order.filter((n) => isRunnable(doc, n))
}

/** Whether a runner may claim this node now (see runnableNodes). */
export function isRunnable(doc: GraphDoc, node: GraphNode): boolean {
  return node.status === 'not_started' && node.action !== 'paper' && depsCompleted(doc, node)
}

/** The nearest failed or interrupted node upstream of a node (breadth first), if any. */
function failedUpstream(doc: GraphDoc, node: GraphNode): GraphNode | undefined {
  const seen = new Set<string>()
  let level = node.depends_on
  while (level.length > 0) {
    const next: string[] = []
    for (const id of level) {
      const dep = doc.nodes[id]
      if (!dep || seen.has(id)) continue
      seen.add(id)
      if (dep.status === 'failed' || dep.status === 'interrupted') return dep
      if (dep.status !== 'completed') next.push(...dep.depends_on)
    }
    level = next
  }
  return undefined
}

/** Why a node is not runnable now, in one phrase; undefined when it is runnable or completed. */
export function whyNot(doc: GraphDoc, node: GraphNode): string | undefined {
  switch (node.status) {
    case 'completed': {
      return undefined
    }

    case 'in_progress': {
      const c = node.claimed_by
      if (!c) return 'in progress'
      const jobs = c.job_ids?.length ? `, jobs ${c.job_ids.join(', ')}` : ''
      return `claimed by pid ${c.pid} on ${c.host} (${c.backend}${jobs})`
    }

    case 'failed':
    case 'interrupted': {
      return `${node.status}${node.reason ? `: ${node.reason}` : ''} — exp graph reset ${node.id}`
    }

    default: {
      const failed = failedUpstream(doc, node)
      if (failed) return `blocked: ${failed.id} ${failed.status} — exp graph reset ${failed.id}`
      const waiting = node.depends_on.map((d) => doc.nodes[d]).filter((d) => d && d.status !== 'completed')
      if (waiting.length > 0) return `waits for ${waiting.map((d) => `${d.id} (${d.status})`).join(', ')}`
      if (node.action === 'paper') return `waits for a person — exp graph mark ${node.id} completed`
      return undefined
    }
  }
}

/**
 * The node whose completed run's checkpoint a finetune or eval node takes as `{input_checkpoint}`: the one its
 * `spec.checkpoint_from` names, else its nearest train/finetune dependency (breadth first through other nodes).
 * Several at the same distance without `checkpoint_from` is a problem of the graph.
 */
export function checkpointSource(doc: GraphDoc, node: GraphNode): {source?: string; problem?: string} {
  if (node.action !== 'finetune' && node.action !== 'eval') return {}
  const named = node.spec?.checkpoint_from
  const isProducer = (id: unknown) =>
    typeof id === 'string' && (doc.nodes[id]?.action === 'train' || doc.nodes[id]?.action === 'finetune')
  // the common cases, without walking the ancestors: a named direct dependency; a single producer among the dependencies
  if (named !== undefined && node.depends_on.includes(named as string) && isProducer(named))
    return {source: named as string}
  if (named === undefined) {
    const direct = [...new Set(node.depends_on.filter((d) => isProducer(d)))]
    if (direct.length === 1) return {source: direct[0]}
    if (direct.length > 1)
      return {problem: `its input checkpoint is ambiguous (${direct.join(', ')}): name one in spec.checkpoint_from`}
  }
  const ancestors = new Set<string>()
  let level = [...node.depends_on]
  let nearest: string[] | undefined
  while (level.length > 0) {
    const producers = level.filter((id) => ['train', 'finetune'].includes(doc.nodes[id]?.action))
    if (producers.length > 0 && nearest === undefined) nearest = [...new Set(producers)]
    const next: string[] = []
    for (const id of level) {
      if (ancestors.has(id) || !doc.nodes[id]) continue
      ancestors.add(id)
      next.push(...doc.nodes[id].depends_on)
    }
    level = next
  }
  if (named !== undefined) {
    if (
      typeof named !== 'string' ||
      !ancestors.has(named) ||
      !['train', 'finetune'].includes(doc.nodes[named].action)
    ) {
      return {problem: `spec.checkpoint_from ${JSON.stringify(named)} is not a train or finetune node it depends on`}
    }
    return {source: named}
  }
  if (!nearest) return {}
  if (nearest.length > 1)
    return {problem: `its input checkpoint is ambiguous (${nearest.join(', ')}): name one in spec.checkpoint_from`}
  return {source: nearest[0]}
}

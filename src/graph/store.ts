import path from 'node:path'

import {ExpError} from '../errors.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {readIfExists} from '../lib/read-if-exists.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {emptyGraph, type GraphDoc, parseGraph, serializeGraph, stamp} from './record.js'
import {assertValidGraph} from './validate.js'

/**
 * Where the graph lives, behind one small interface: read it, or change it with load → mutate → commit under a
 * lock. This store is the workspace's file under the workspace lock; a remote store (rclone, with leases) can take
 * its place without the services noticing.
 */
export interface GraphStore {
  /** how messages name the graph (`work_graph.json`) */
  readonly label: string
  /** shared between machines (a remote): a node's experiment may live on another one, so its absence here is no error */
  readonly shared?: boolean
  /** the graph as it is now, without a lock; undefined when there is none yet */
  read(): Promise<GraphDoc | undefined>
  /**
   * Take the lock, read the graph again, check it, let `mutate` change it in place, and when anything changed write
   * it atomically with `version` + 1 and `updated_utc` now. A graph broken by someone's edit stops here (exit 2)
   * before `mutate` sees it. `create`: a missing graph starts empty instead of being an error.
   */
  update<T>(
    command: string,
    mutate: (doc: GraphDoc) => Promise<T> | T,
    options?: UpdateOptions<T>,
  ): Promise<UpdateResult<T>>
  /** a shared store's counts for `graph run --json` (the remote one: lease turns taken and waited for) */
  stats?(): Record<string, number>
}

export interface UpdateOptions<T> {
  create?: boolean
  /** a change a wait can make moot: a store that had to wait may test a fresh read first; {result} → nothing done */
  skipIf?: (doc: GraphDoc) => {result: T} | undefined
  /**
   * ends a shared store's wait for its lease (graph run's Ctrl-C while it waits to claim a node): the update throws
   * INTERRUPTED and changes nothing. Without it only the stop signals nothing else in the process handles end a wait.
   */
  signal?: AbortSignal
}

export interface UpdateResult<T> {
  result: T
  doc: GraphDoc
  written: boolean
}

export function graphFile(ws: Workspace): string {
  return path.resolve(ws.root, ws.settings.graph.path)
}

export function noGraphError(label: string): ExpError {
  return new ExpError(`there is no work graph (${label}).`, {
    code: 'NO_GRAPH',
    suggestion: 'exp graph add ID --action train',
  })
}

/** The local store: the file at exp.yaml `graph.path`, changed only under the workspace lock. */
export function localGraphStore(ws: Workspace, now: Clock): GraphStore {
  const file = graphFile(ws)
  const label = relativeToRoot(ws, file)
  const readText = (): Promise<string | undefined> => readIfExists(file)
  return {
    label,
    async read() {
      const text = await readText()
      return text === undefined ? undefined : parseGraph(text, label)
    },
    async update(command, mutate, options = {}) {
      return withWorkspaceLock(
        ws,
        async () => {
          const change = await changeGraph(await readText(), label, mutate, options, now)
          if (change.written) await writeFileAtomic(file, serializeGraph(change.doc))
          return change
        },
        {command: `graph ${command}`, waitMs: 120_000},
      )
    },
  }
}

/**
 * One read-modify-write on a graph's text, for every store: a missing graph is an error unless `create`, a broken one
 * stops before `mutate` sees it, and a changed one is stamped (`version` + 1, `updated_utc`); the store writes it.
 */
export async function changeGraph<T>(
  text: string | undefined,
  label: string,
  mutate: (doc: GraphDoc) => Promise<T> | T,
  options: {create?: boolean},
  now: Clock,
): Promise<UpdateResult<T>> {
  if (text === undefined && !options.create) throw noGraphError(label)
  const doc = text === undefined ? emptyGraph() : parseGraph(text, label)
  if (text !== undefined) assertValidGraph(doc, label)
  const before = serializeGraph(doc)
  const result = await mutate(doc)
  const written = serializeGraph(doc) !== before
  if (written) stamp(doc, now())
  return {doc, result, written}
}

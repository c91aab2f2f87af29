import {randomBytes} from 'node:crypto'

import {isExpError} from '../errors.js'
import {type GraphDoc, parseGraph, serializeGraph} from '../graph/record.js'
import {changeGraph, type GraphStore, localGraphStore, type UpdateOptions, type UpdateResult} from '../graph/store.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {acquireLeaseIfWanted} from './lease.js'
import {interruptible} from './lease-signals.js'
import {holding, openRemote, type Remote, remoteLeaseOptions} from './remote.js'

/**
 * The work graph on the remote (`<root>/work_graph.json`): every read-modify-write takes the remote lease, downloads
 * the graph, checks it, changes it, uploads it under a temporary name and moves it over the original (a reader never
 * sees half a file), then releases the lease. Before writing, the lease must still be ours: if it vanished (taken
 * over, deleted), nothing is written.
 */
export const REMOTE_GRAPH = 'work_graph.json'
const LEASE_ATTEMPTS = 4
/**
 * A lease-free read is a runner's look for work; runners look every 250 ms, and on a remote each look is an rclone
 * process (4 machines × 4 looks a second kept 2 cores busy in the race test). Looks are spaced at least this far
 * apart; each is still fresh. Changes (claims) never wait for this: they go through update() under the lease.
 */
export const REMOTE_READ_INTERVAL_MS = 500

export function remoteGraphStore(remote: Remote, now: Clock, warn?: (line: string) => void): GraphStore {
  const {rclone} = remote
  const label = rclone.path(REMOTE_GRAPH)
  let lastRead = 0
  let turn: Promise<unknown> = Promise.resolve()
  const waits = {maxMs: 0, taken: 0, totalMs: 0}
  return {
    label,
    shared: true,
    stats: () => ({
      lease_taken: waits.taken,
      lease_wait_max_s: waits.maxMs / 1000,
      lease_wait_total_s: waits.totalMs / 1000,
    }),
    async read() {
      // Without the lease a read can overlap a replacement; the WebDAV server may then serve a mix that does not
      // parse. A whole graph always parses, so a few fresh reads settle it; a graph broken for real still fails.
      const wait = lastRead + REMOTE_READ_INTERVAL_MS - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      for (let attempt = 0; ; attempt++) {
        lastRead = Date.now()
        const text = await rclone.read(REMOTE_GRAPH)
        try {
          return text === undefined ? undefined : parseGraph(text, label)
        } catch (error) {
          if (attempt >= 4) throw error
          await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)))
        }
      }
    },
    update(command, mutate, options = {}) {
      // One change at a time per process: the workers of one `graph run` queue here instead of racing each other for
      // the remote lease (half the lease pollers on the remote, no settle rounds lost to a sibling).
      const mine = turn.then(async () => {
        // a lease lost before writing (taken over while this machine was too slow to renew it) wrote nothing: try again
        for (let attempt = 1; ; attempt++) {
          try {
            return await updateOnce(command, mutate, options)
          } catch (error) {
            if (!isExpError(error) || error.code !== 'LEASE_LOST' || attempt >= LEASE_ATTEMPTS) throw error
            warn?.(`warning: ${error.message} Trying again (${attempt}/${LEASE_ATTEMPTS - 1}).`)
          }
        }
      })
      turn = mine.catch(() => {})
      return mine
    },
  }

  async function updateOnce<T>(
    command: string,
    mutate: (doc: GraphDoc) => Promise<T> | T,
    options: UpdateOptions<T>,
  ): Promise<UpdateResult<T>> {
    // a change that a wait can make moot (a claim): once the lease looks free after a wait, one lease-free read
    // decides whether to take it at all, instead of a turn under the lease that changes nothing
    let moot: UpdateResult<T> | undefined
    const stillWanted = async () => {
      const text = await rclone.read(REMOTE_GRAPH)
      const doc = text === undefined ? undefined : parseGraph(text, label)
      const skip = doc && options.skipIf?.(doc)
      if (skip) moot = {doc, result: skip.result, written: false}
      return !skip
    }
    const lease = await interruptible(
      (signal) => acquireLeaseIfWanted({...remoteLeaseOptions(remote, `graph ${command}`, warn), signal}, stillWanted),
      options.signal,
    )
    if (!lease) return moot!
    waits.taken++
    waits.maxMs = Math.max(waits.maxMs, lease.waitedMs)
    waits.totalMs += lease.waitedMs
    return holding(lease, async () => {
      await lease.pauseRenewals()
      const change = await changeGraph(await rclone.read(REMOTE_GRAPH), label, mutate, options, now)
      if (change.written) {
        // the temporary copy is no write of state: the lease is checked beside its upload, before the move
        const tmp = `${REMOTE_GRAPH}.${randomBytes(4).toString('hex')}.tmp`
        const [, held] = await Promise.allSettled([
          rclone.writeText(tmp, serializeGraph(change.doc)),
          lease.assertHeld(),
        ])
        if (held.status === 'rejected') {
          await rclone.remove(tmp)
          throw held.reason
        }
        await rclone.move(tmp, REMOTE_GRAPH)
      }
      return change
    })
  }
}

/** The graph store of a workspace: the remote one when exp.yaml configures a remote, else the local file. */
export function graphStore(ws: Workspace, now: Clock, warn?: (line: string) => void): GraphStore {
  return ws.settings.remote?.rclone_remote
    ? remoteGraphStore(openRemote(ws), now, warn ?? ((l) => process.stderr.write(`${l}\n`)))
    : localGraphStore(ws, now)
}

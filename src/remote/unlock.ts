import {EXIT, ExpError} from '../errors.js'
import {describeHolder, inspectLeases, type LeaseBody, type LeaseInfo} from './lease.js'
import {TICKET_SUFFIX, ticketExpired, ticketLifeMs} from './lease-queue.js'
import {type Remote, rcloneLeaseStore} from './remote.js'

/**
 * `exp remote unlock`: shows every lease and queue ticket (lease-queue.ts) with its holder; removes dead ones, and
 * live ones only with --force. A live ticket removed from under a waiter costs it its place in the queue, never
 * safety: it writes its ticket again while it waits.
 */
export interface UnlockOptions {
  force?: boolean
  dryRun?: boolean
  now: Date
  /** asked before a live lease is removed (a person at a terminal, or --yes) */
  confirm: (live: LeaseInfo[]) => Promise<boolean>
}

export interface UnlockResult {
  leases: {name: string; holder: string; state: string; removed: boolean}[]
  /** the queue tickets of machines waiting for the lease */
  tickets: {name: string; holder: string; state: string; removed: boolean}[]
  dry_run: boolean
}

export async function unlockRemote(remote: Remote, options: UnlockOptions): Promise<UnlockResult> {
  const store = rcloneLeaseStore(remote.rclone)
  const now = options.now.getTime()
  const names = await store.list()
  const infos = await inspectLeases(store, now, remote.leaseSeconds * 1000, names)
  const live = infos.filter((l) => l.state !== 'expired')
  if (live.length > 0 && !options.force) {
    throw new ExpError(
      `the remote lease is held by ${live.map((l) => describeHolder(l.body, l.name)).join(', ')}; nothing removed.`,
      {
        code: 'LEASE_HELD',
        exit: EXIT.locked,
        suggestion: 'exp remote unlock --force, only if that holder is gone',
      },
    )
  }
  const go = !options.dryRun && (live.length === 0 || (await options.confirm(live)))
  const leases: UnlockResult['leases'] = []
  for (const l of infos) {
    const removed = go ? await store.remove(l.name) : false
    leases.push({holder: describeHolder(l.body, l.name), name: l.name, removed, state: l.state})
  }
  const tickets: UnlockResult['tickets'] = []
  // the queue's own rule (lease-queue.ts): a ticket's waiter is gone past its life and as long again
  const graceMs = ticketLifeMs(remote.leaseSeconds)
  for (const name of names.filter((n) => n.endsWith(TICKET_SUFFIX)).sort()) {
    const body: LeaseBody | undefined = await store.read(name).catch(() => undefined)
    const state = ticketExpired(name, body, now, graceMs) ? 'expired' : body ? 'live' : 'unreadable'
    const removed = go && (options.force || state === 'expired') ? await store.remove(name) : false
    tickets.push({holder: describeHolder(body, name), name, removed, state})
  }
  return {dry_run: Boolean(options.dryRun), leases, tickets}
}

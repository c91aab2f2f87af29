import {randomBytes} from 'node:crypto'

import type {LeaseBody, LeaseClock, LeaseStore} from './lease-types.js'

/**
 * The queue of machines waiting for the remote lease, so the lease goes to the one waiting longest. Without it a
 * holder with more changes queued (a `graph run` whose two workers finish and claim in turn) released and re-took
 * the lease at once, while the other machines slept in their back-off and never saw it free: one machine of four ran
 * every node. A machine that has to wait leaves a ticket `<utc-ms>-<host>-<pid>-<random>.wait` in `locks/` beside
 * the leases (holder, created, expires: a third of a lease's life; rewritten while it waits, removed once it holds the
 * lease or gives up). A
 * taker that finds the lease free still defers to every live ticket older than its own (a taker without a ticket
 * defers to all), so a releasing holder queues behind those already waiting. Tickets decide only who tries: who holds
 * is still decided by the lease files alone (write, settle, list again), so a ticket missing from a lagging listing
 * costs fairness, never safety. A ticket past its `expires` plus the grace (its waiter was killed) is removed.
 */
export const TICKET_SUFFIX = '.wait'

/** `<utc with ms>-<host>-<pid>-<random>.wait`: sorts by the time its waiter joined. */
export function ticketName(now: number, host: string, pid: number, random = randomBytes(4).toString('hex')): string {
  const utc = new Date(now).toISOString().replaceAll(/[-:.]/g, '')
  return `${utc}-${host.replaceAll(/[^\w.-]/g, '_')}-${pid}-${random}${TICKET_SUFFIX}`
}

/** A ticket's life, and the grace past it before it is removed: a third of the lease's. */
export const ticketLifeMs = (leaseSeconds: number): number => (leaseSeconds * 1000) / 3

/**
 * Whether a ticket's waiter is gone: past its `expires` plus the grace; an unreadable ticket (being written, or gone
 * between list and read) is respected until the time in its name is long past.
 */
export function ticketExpired(name: string, body: LeaseBody | undefined, now: number, graceMs: number): boolean {
  return body ? Date.parse(body.expires) + graceMs < now : Date.parse(isoOf(name)) + 2 * graceMs < now
}

export interface QueueOptions {
  store: LeaseStore
  clock: LeaseClock
  /** a ticket's life, and the grace past it before it is removed: a third of the lease's (a killed waiter holds the
   * queue up for less than a killed holder holds the lease) */
  lifeMs: number
  body: Omit<LeaseBody, 'created' | 'expires'>
  /** bodies read before, by name: a ticket (or lease) live by its last known expiry is not read again */
  known: Map<string, LeaseBody>
}

/**
 * A lease or ticket is live without reading it when its last known body says so, or when the listing says it was
 * written within the grace (a renewal rewrites it; a holder's clock ahead of ours only makes it look older, and
 * then it is read). Reading decides every expiry.
 */
export function liveUnread(
  store: LeaseStore,
  known: Map<string, LeaseBody> | undefined,
  name: string,
  now: number,
  graceMs: number,
): LeaseBody | true | undefined {
  if (!known) return undefined
  const cached = known.get(name)
  if (cached && Date.parse(cached.expires) + graceMs >= now) return cached
  const at = store.written?.(name)
  return at !== undefined && at + graceMs >= now ? true : undefined
}

export class WaitQueue {
  private mine?: {name: string; body: LeaseBody}

  constructor(private readonly options: QueueOptions) {}

  get ticket(): string | undefined {
    return this.mine?.name
  }

  /**
   * The live tickets of others ahead of this machine in `names` (a listing of locks/), oldest first: all of them
   * while this machine has no ticket. Expired ones are removed (their waiters are gone).
   */
  async ahead(names: string[]): Promise<string[]> {
    const {clock, known, lifeMs: graceMs, store} = this.options
    const tickets = names
      .filter((n) => n.endsWith(TICKET_SUFFIX) && n !== this.mine?.name && (!this.mine || n < this.mine.name))
      .sort()
    const live: string[] = []
    for (const name of tickets) {
      if (!liveUnread(store, known, name, clock.now(), graceMs)) {
        const body = await store.read(name).catch(() => undefined)
        if (body) known.set(name, body)
        if (ticketExpired(name, body, clock.now(), graceMs)) {
          await store.remove(name).catch(() => false)
          continue
        }
      }
      live.push(name)
    }
    return live
  }

  /** Join the queue (once), and keep the ticket fresh while waiting: rewritten when a third of its life is left. */
  async wait(): Promise<void> {
    const now = this.options.clock.now()
    const {lifeMs} = this.options
    const expires = new Date(now + lifeMs).toISOString()
    if (!this.mine) {
      this.mine = {
        body: {...this.options.body, created: new Date(now).toISOString(), expires},
        name: ticketName(now, this.options.body.host, this.options.body.pid),
      }
    } else if (Date.parse(this.mine.body.expires) - now > lifeMs / 3) return
    this.mine.body = {...this.mine.body, expires}
    await this.options.store.write(this.mine.name, this.mine.body)
  }

  /** Leave the queue (the lease is held, or the wait is over). */
  async leave(): Promise<void> {
    const name = this.mine?.name
    this.mine = undefined
    if (name) await this.options.store.remove(name).catch(() => false)
  }
}

/** `20261130T050102345Z-…` → an ISO time (NaN when the name is not one of exp's). */
function isoOf(name: string): string {
  return name.slice(0, 19).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z$/, '$1-$2-$3T$4:$5:$6.$7Z')
}

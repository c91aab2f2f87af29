import {randomBytes} from 'node:crypto'

import {ExpError, isExpError} from '../errors.js'
import {ticketLifeMs, WaitQueue} from './lease-queue.js'
import {interrupted, pause} from './lease-signals.js'
import {inspectLeases, type LeaseInfo} from './lease-inspect.js'
import type {LeaseBody, LeaseClock, LeaseStore} from './lease-types.js'

/**
 * The remote lease (rclone has no locking; this is restic's and borg's protocol, adapted): a uniquely named lease
 * file `<utc>-<host>-<pid>-<random>.json` in `locks/`; list → upload → settle → list again → if another live lease
 * appeared, delete ours and back off with jitter; renew every lease_seconds/3; a lease past `expires` + grace is taken
 * over with a warning naming its holder; before every write the holder checks its own lease is still there.
 * Storage and time are parameters, so the protocol is unit-tested with a fake clock and fake storage.
 */

export type {LeaseBody, LeaseClock, LeaseStore} from './lease-types.js'
export {inspectLeases, type LeaseInfo} from './lease-inspect.js'

export const systemLeaseClock: LeaseClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export interface LeaseOptions {
  store: LeaseStore
  clock?: LeaseClock
  leaseSeconds: number
  settleSeconds: number
  /** how long past `expires` a lease is still respected (default: lease_seconds) */
  graceSeconds?: number
  /** give up waiting for another holder after this long (default: 10 × lease_seconds, at least 5 minutes) */
  waitSeconds?: number
  host: string
  pid: number
  command: string
  random?: () => number
  warn?: (line: string) => void
  /** renew in the background while held (off in unit tests that drive renew() themselves) */
  autoRenew?: boolean
  /** ends a wait (Ctrl-C): the queue ticket and any lease written are removed, then INTERRUPTED (exit 130) */
  signal?: AbortSignal
}

/** `<utc>-<host>-<pid>-<random>.json`: sorts by creation time, never the same for two takers. */
export function leaseName(now: number, host: string, pid: number, random = randomBytes(4).toString('hex')): string {
  const utc = new Date(now)
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${utc}-${host.replaceAll(/[^\w.-]/g, '_')}-${pid}-${random}.json`
}

export function describeHolder(body: LeaseBody | undefined, name: string): string {
  return body ? `${body.holder} (${body.command}, since ${body.created})` : name
}

export class Lease {
  private timer?: NodeJS.Timeout
  private lost = false
  private released = false
  private paused = false

  constructor(
    readonly name: string,
    private body: LeaseBody,
    private readonly options: LeaseOptions & {clock: LeaseClock},
  ) {}

  get holder(): string {
    return this.body.holder
  }

  private renewing?: Promise<void>
  private pending: Promise<unknown>[] = []
  /** how long the taker waited for it (ms) */
  waitedMs = 0

  /** work the taker left running (its queue ticket's removal): a release waits for it */
  alsoAwait(work: Promise<unknown>): void {
    this.pending.push(work.catch(() => {}))
  }

  /**
   * Rewrite our lease with a new expiry; marks the lease lost when it vanished. One renewal at a time, and none
   * after release: release waits for one in flight, so a slow renewal can never write the lease back after it.
   */
  async renew(): Promise<void> {
    if (this.released || this.paused || this.renewing) return this.renewing
    this.renewing = (async () => {
      if (!(await this.options.store.list()).includes(this.name)) {
        this.lost = true
        return
      }
      if (this.released) return
      const now = this.options.clock.now()
      this.body = {...this.body, expires: new Date(now + this.options.leaseSeconds * 1000).toISOString()}
      await this.options.store.write(this.name, this.body)
    })().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  startRenewing(): void {
    const every = (this.options.leaseSeconds * 1000) / 3
    this.timer = setInterval(() => void this.renew().catch(() => {}), every)
    this.timer.unref()
  }

  /**
   * Enter the read-change-write section: a renewal in flight is awaited and no other starts until release. A renewal
   * lists the lease, then rewrites it; a deletion between the two would be undone by the rewrite and go unseen by
   * assertHeld. The lease's own expiry bounds the section instead (assertHeld refuses a lease about to expire).
   */
  async pauseRenewals(): Promise<void> {
    this.paused = true
    await this.renewing?.catch(() => {})
  }

  /** Before any write: our lease must still be there and not about to expire, else nothing may be written. */
  async assertHeld(): Promise<void> {
    const margin = (this.options.leaseSeconds * 1000) / 3
    if (this.paused && Date.parse(this.body.expires) - this.options.clock.now() < margin) this.lost = true
    if (!this.lost && (await this.options.store.list()).includes(this.name)) return
    this.lost = true
    throw new ExpError(
      `the remote lease ${this.name} vanished (taken over or deleted) or ran out; the update was aborted before writing anything.`,
      {
        code: 'LEASE_LOST',
        suggestion: 'run the command again',
      },
    )
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    if (this.timer) clearInterval(this.timer)
    await this.renewing?.catch(() => {})
    await Promise.all(this.pending)
    await this.options.store.remove(this.name).catch(() => false)
  }
}

/**
 * Take the lease (waiting for a live holder, taking over an expired one, queueing behind machines waiting longer: see
 * lease-queue.ts); throws LEASE_BUSY when one holder kept it for waitSeconds. The wait restarts whenever the holder
 * changes: many machines taking turns is progress, not a hang.
 */
export async function acquireLease(input: LeaseOptions): Promise<Lease> {
  return (await takeLease(input))!
}

/**
 * The same, for a change that may no longer be needed once the wait is over (a claim of a node another machine took
 * meanwhile): after a wait, `stillWanted()` is asked before the lease is taken; false → undefined, no lease taken.
 */
export async function acquireLeaseIfWanted(
  input: LeaseOptions,
  stillWanted: () => Promise<boolean>,
): Promise<Lease | undefined> {
  return takeLease(input, stillWanted)
}

async function takeLease(input: LeaseOptions, stillWanted?: () => Promise<boolean>): Promise<Lease | undefined> {
  const options = {...input, clock: input.clock ?? systemLeaseClock}
  const {clock, store} = options
  const random = options.random ?? Math.random
  const graceMs = (options.graceSeconds ?? options.leaseSeconds) * 1000
  const waitMs = (options.waitSeconds ?? Math.max(300, options.leaseSeconds * 10)) * 1000
  const known = new Map<string, LeaseBody>()
  const holder = {
    command: options.command,
    holder: `${options.host}:${options.pid}`,
    host: options.host,
    pid: options.pid,
  }
  const queue = new WaitQueue({body: holder, clock, known, lifeMs: ticketLifeMs(options.leaseSeconds), store})
  const started = clock.now()
  let deadline = started + waitMs
  let blocker: string | undefined
  let lease: Lease | undefined
  // each look is a listing (an rclone process): the machine waiting longest looks every baseMs, the next ones less
  // often (up to 1–2 s); a holder's lease body is read once, and again only when it looks expired
  const capMs = Math.min(options.leaseSeconds * 1000, 2000, Math.max(1000, options.settleSeconds * 4000))
  const baseMs = Math.min(capMs, Math.max(150, options.settleSeconds * 500))
  try {
    for (let waited = false; ; waited = true) {
      const names = await store.list()
      const others = await liveOthers(options, graceMs, undefined, names, known)
      const ahead = await queue.ahead(names)
      const first = others[0]?.name ?? ahead[0]
      if (first !== undefined && first !== blocker) {
        blocker = first
        deadline = clock.now() + waitMs
      }
      if (others.length === 0 && ahead.length === 0) {
        if (waited && stillWanted && !(await stillWanted())) return undefined
        lease = await contend(options, holder, graceMs, known, deadline)
        if (lease) {
          lease.waitedMs = clock.now() - started
          lease.alsoAwait(queue.leave())
          if (options.signal?.aborted) {
            await lease.release()
            throw interrupted()
          }
          if (options.autoRenew !== false) lease.startRenewing()
          return lease
        }
      }
      if (clock.now() >= deadline) {
        const who = others[0]
          ? `held by ${describeHolder(others[0].body, others[0].name)}`
          : `queued for by ${ahead.length} machine(s) before this one`
        throw new ExpError(`the remote lease is ${who}; gave up waiting.`, {
          code: 'LEASE_BUSY',
          exit: 3,
          suggestion: 'wait for it to finish, or exp remote unlock --force if that holder is gone',
        })
      }
      await queue.wait()
      await pause(clock, Math.min(capMs, baseMs * (1 + ahead.length)) * (0.75 + random() / 2), options.signal)
    }
  } catch (error) {
    // Ctrl-C reaches the rclone child of a look as well: its death is the interruption, not a remote failure
    throw options.signal?.aborted || (isExpError(error) && error.code === 'INTERRUPTED') ? interrupted() : error
  } finally {
    if (!lease) await queue.leave()
  }
}

/**
 * Write our lease, settle, list again. Rivals that wrote at the same time: the oldest name keeps its lease and waits
 * for the others to go (it never proceeds while it sees one); the others delete theirs and back off. So the oldest
 * gets it: no livelock. Undefined when ours lost (deleted, or a rival is older, or the wait is over).
 */
async function contend(
  options: LeaseOptions & {clock: LeaseClock},
  holder: Omit<LeaseBody, 'created' | 'expires'>,
  graceMs: number,
  known: Map<string, LeaseBody>,
  deadline: number,
): Promise<Lease | undefined> {
  const {clock, store} = options
  const random = options.random ?? Math.random
  const now = clock.now()
  const name = leaseName(now, options.host, options.pid)
  const body: LeaseBody = {
    ...holder,
    created: new Date(now).toISOString(),
    expires: new Date(now + options.leaseSeconds * 1000).toISOString(),
  }
  await store.write(name, body)
  for (let round = 0; ; round++) {
    await clock.sleep(options.settleSeconds * 1000 * (round === 0 ? 1 : 1 + random()))
    const names = await store.list()
    if (!names.includes(name)) return undefined
    const rivals = await liveOthers(options, graceMs, name, names, known)
    if (rivals.length === 0) return new Lease(name, body, options)
    if (rivals.some((r) => r.name < name) || clock.now() >= deadline) {
      await store.remove(name).catch(() => false)
      return undefined
    }
    if (Date.parse(body.expires) - clock.now() < (options.leaseSeconds * 1000 * 2) / 3) {
      body.expires = new Date(clock.now() + options.leaseSeconds * 1000).toISOString()
      await store.write(name, body)
    }
  }
}

/** Live leases of others; expired ones (past grace) are removed with a warning naming their holder. */
async function liveOthers(
  options: LeaseOptions & {clock: LeaseClock},
  graceMs: number,
  mine: string | undefined,
  listed: string[],
  known: Map<string, LeaseBody>,
): Promise<LeaseInfo[]> {
  const infos = await inspectLeases(options.store, options.clock.now(), graceMs, listed, known)
  const live: LeaseInfo[] = []
  for (const info of infos) {
    if (info.name === mine) continue
    if (info.state === 'expired') {
      const until = info.body ? ` (expired ${info.body.expires})` : ''
      options.warn?.(
        `warning: taking over the expired remote lease of ${describeHolder(info.body, info.name)}${until}.`,
      )
      await options.store.remove(info.name).catch(() => false)
    } else live.push(info) // an unreadable lease may be one being written: respect it
  }
  return live
}

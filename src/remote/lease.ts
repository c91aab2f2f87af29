import {randomBytes} from 'node:crypto'

import {ExpError} from '../errors.js'

/**
 * The remote lease (rclone has no locking; this is restic's and borg's protocol, adapted): a uniquely named lease
 * file `<utc>-<host>-<pid>-<random>.json` in `locks/`; list → upload → settle → list again → if another live lease
 * appeared, delete ours and back off with jitter; renew every lease_seconds/3; a lease past `expires` + grace is taken
 * over with a warning naming its holder; before every write the holder checks its own lease is still there.
 * Storage and time are parameters, so the protocol is unit-tested with a fake clock and fake storage.
 */

export interface LeaseBody {
  holder: string
  host: string
  pid: number
  command: string
  created: string
  expires: string
}

/** The folder of leases: list names, read, write (always transferred), remove. */
export interface LeaseStore {
  list(): Promise<string[]>
  read(name: string): Promise<LeaseBody | undefined>
  write(name: string, body: LeaseBody): Promise<void>
  remove(name: string): Promise<boolean>
}

export interface LeaseClock {
  now(): number
  sleep(ms: number): Promise<void>
}

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
}

export interface LeaseInfo {
  name: string
  body?: LeaseBody
  state: 'live' | 'expired' | 'unreadable'
}

/** `<utc>-<host>-<pid>-<random>.json`: sorts by creation time, never the same for two takers. */
export function leaseName(now: number, host: string, pid: number, random = randomBytes(4).toString('hex')): string {
  const utc = new Date(now).toISOString().replaceAll(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${utc}-${host.replaceAll(/[^\w.-]/g, '_')}-${pid}-${random}.json`
}

export function describeHolder(body: LeaseBody | undefined, name: string): string {
  return body ? `${body.holder} (${body.command}, since ${body.created})` : name
}

/** Every lease in the folder with its state at `now` (expired = past expires + grace). */
export async function inspectLeases(store: LeaseStore, now: number, graceMs: number, listed?: string[]): Promise<LeaseInfo[]> {
  const names = (listed ?? (await store.list())).filter((n) => n.endsWith('.json')).sort()
  const infos: LeaseInfo[] = []
  for (const name of names) {
    const body = await store.read(name).catch(() => undefined)
    if (!body) {
      // vanished between list and read, or being written: respected until long past the time in its name
      const created = Date.parse(name.slice(0, 16).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'))
      infos.push({name, state: Number.isFinite(created) && created + 2 * graceMs < now ? 'expired' : 'unreadable'})
      continue
    }
    infos.push({body, name, state: Date.parse(body.expires) + graceMs < now ? 'expired' : 'live'})
  }
  return infos
}

export class Lease {
  private timer?: NodeJS.Timeout
  private lost = false
  private released = false

  constructor(
    readonly name: string,
    private body: LeaseBody,
    private readonly options: LeaseOptions & {clock: LeaseClock},
  ) {}

  get holder(): string {
    return this.body.holder
  }

  private renewing?: Promise<void>

  /**
   * Rewrite our lease with a new expiry; marks the lease lost when it vanished. One renewal at a time, and none
   * after release: release waits for one in flight, so a slow renewal can never write the lease back after it.
   */
  async renew(): Promise<void> {
    if (this.released || this.renewing) return this.renewing
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

  /** Before any write: our lease must still be there, else nothing may be written. */
  async assertHeld(): Promise<void> {
    if (!this.lost && (await this.options.store.list()).includes(this.name)) return
    this.lost = true
    throw new ExpError(`the remote lease ${this.name} vanished (taken over or deleted); the update was aborted before writing anything.`, {
      code: 'LEASE_LOST',
      suggestion: 'run the command again',
    })
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    if (this.timer) clearInterval(this.timer)
    await this.renewing?.catch(() => {})
    await this.options.store.remove(this.name).catch(() => false)
  }
}

/**
 * Take the lease (waiting for a live holder, taking over an expired one); throws LEASE_BUSY when one holder kept it
 * for waitSeconds. The wait restarts whenever the holder changes: many machines taking turns is progress, not a hang.
 */
export async function acquireLease(input: LeaseOptions): Promise<Lease> {
  const options = {...input, clock: input.clock ?? systemLeaseClock}
  const {clock, store} = options
  const random = options.random ?? Math.random
  const graceMs = (options.graceSeconds ?? options.leaseSeconds) * 1000
  const waitMs = (options.waitSeconds ?? Math.max(300, options.leaseSeconds * 10)) * 1000
  let deadline = clock.now() + waitMs
  let blocker: string | undefined
  // each look costs a listing and a read per lease (rclone processes), so looks back off exponentially up to 1–2 s
  const capMs = Math.min(options.leaseSeconds * 1000, 2000, Math.max(1000, options.settleSeconds * 4000))
  const backOff = async (attempt: number) => clock.sleep(Math.min(capMs, 100 * 2 ** Math.min(attempt, 6)) * (0.5 + random()))
  for (let attempt = 0; ; attempt++) {
    const others = await liveOthers(options, graceMs, undefined)
    if (others[0] && others[0].name !== blocker) {
      blocker = others[0].name
      deadline = clock.now() + waitMs
    }
    if (others.length === 0) {
      const now = clock.now()
      const name = leaseName(now, options.host, options.pid)
      const body: LeaseBody = {
        command: options.command,
        created: new Date(now).toISOString(),
        expires: new Date(now + options.leaseSeconds * 1000).toISOString(),
        holder: `${options.host}:${options.pid}`,
        host: options.host,
        pid: options.pid,
      }
      await store.write(name, body)
      // Rivals that wrote at the same time: the oldest name keeps its lease and waits for the others to go (it never
      // proceeds while it sees one); the others delete theirs and back off. So the oldest waiter gets it: no livelock.
      for (let round = 0; ; round++) {
        await clock.sleep(options.settleSeconds * 1000 * (round === 0 ? 1 : 1 + random()))
        const names = await store.list()
        if (!names.includes(name)) break
        const rivals = await liveOthers(options, graceMs, name, names)
        if (rivals.length === 0) {
          const lease = new Lease(name, body, options)
          if (options.autoRenew !== false) lease.startRenewing()
          return lease
        }
        if (rivals.some((r) => r.name < name) || clock.now() >= deadline) {
          await store.remove(name).catch(() => false)
          break
        }
        if (Date.parse(body.expires) - clock.now() < (options.leaseSeconds * 1000 * 2) / 3) {
          body.expires = new Date(clock.now() + options.leaseSeconds * 1000).toISOString()
          await store.write(name, body)
        }
      }
    }
    if (clock.now() >= deadline) {
      const holder = others[0] ? describeHolder(others[0].body, others[0].name) : 'another exp'
      throw new ExpError(`the remote lease is held by ${holder}; gave up waiting.`, {
        code: 'LEASE_BUSY',
        exit: 3,
        suggestion: 'wait for it to finish, or exp remote unlock --force if that holder is gone',
      })
    }
    await backOff(attempt)
  }
}

/** Live leases of others; expired ones (past grace) are removed with a warning naming their holder. */
async function liveOthers(options: LeaseOptions & {clock: LeaseClock}, graceMs: number, mine: string | undefined, listed?: string[]): Promise<LeaseInfo[]> {
  const infos = await inspectLeases(options.store, options.clock.now(), graceMs, listed)
  const live: LeaseInfo[] = []
  for (const info of infos) {
    if (info.name === mine) continue
    if (info.state === 'expired') {
      const until = info.body ? ` (expired ${info.body.expires})` : ''
      options.warn?.(`warning: taking over the expired remote lease of ${describeHolder(info.body, info.name)}${until}.`)
      await options.store.remove(info.name).catch(() => false)
    } else live.push(info) // an unreadable lease may be one being written: respect it
  }
  return live
}

import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {randomHex} from './node-crypto.js'
import {isProcessAlive} from './process-alive.js'
import {bootId, isSameProcess, processStart} from './process-identity.js'
import {readIfExists} from './read-if-exists.js'
import {sleep} from './time.js'

/**
 * The workspace lock: one file whose content names its owner, created atomically with link(2)
 * (it either appears whole or not at all, and creation fails when it exists).
 *
 * - A lock whose owner is a dead process on this host is taken over at once.
 * - A lock from another host (a workspace on a shared filesystem) is taken over when its heartbeat,
 *   the file's mtime, refreshed every HEARTBEAT_MS by the holder, is older than STALE_MS.
 * - Breaking a dead lock happens under a second short-lived guard file, so two processes that both find
 *   the same dead lock never remove a live one.
 */
export interface LockOwner {
  pid: number
  host: string
  since: string
  command: string
  nonce: string
  /** the owner's start time and boot (lib/process-identity): a lock held by a reused pid is stale */
  start?: string
  boot_id?: string
}

export interface LockOptions {
  /** How long to wait for a live owner before failing. */
  waitMs?: number
  command?: string
}

/** 10 s; EXP_LOCK_TIMEOUT_MS (milliseconds) sets another wait, so a test of the timeout need not wait 10 s */
function defaultWaitMs(): number {
  const configured = Number(process.env.EXP_LOCK_TIMEOUT_MS)
  return process.env.EXP_LOCK_TIMEOUT_MS && Number.isFinite(configured) && configured >= 0 ? configured : 10_000
}

const HEARTBEAT_MS = 5000
const STALE_MS = 60_000
const GUARD_STALE_MS = 30_000
const POLL_MS = 100

export class WorkspaceLock {
  private heartbeat?: NodeJS.Timeout
  private released = false

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  static async acquire(file: string, options: LockOptions = {}): Promise<WorkspaceLock> {
    const waitMs = options.waitMs ?? defaultWaitMs()
    const owner: LockOwner = {
      command: options.command ?? process.argv.slice(2).join(' '),
      host: os.hostname(),
      nonce: randomHex(8),
      pid: process.pid,
      since: new Date().toISOString(),
      start: processStart(process.pid),
      boot_id: bootId(),
    }
    await fs.mkdir(path.dirname(file), {recursive: true})
    const deadline = Date.now() + waitMs
    for (;;) {
      if (await tryCreate(file, owner)) {
        await removeDeadTemporaries(file)
        const lock = new WorkspaceLock(file, owner)
        lock.startHeartbeat()
        return lock
      }
      const current = await readOwner(file)
      if (current === undefined) continue // released between our attempt and the read: try again at once
      if (await isStale(file, current)) {
        await breakLock(file, current)
        continue
      }
      if (Date.now() >= deadline) {
        const who = current
          ? `PID ${current.pid}${current.host === os.hostname() ? '' : ` on ${current.host}`} since ${current.since}`
          : 'another process'
        const what = current?.command ? ` (exp ${current.command})` : ''
        throw new ExpError(`workspace is locked by ${who}${what}.`, {
          code: 'LOCKED',
          exit: EXIT.locked,
          suggestion: 'wait for it to finish, then run the command again.',
        })
      }
      await sleep(POLL_MS)
    }
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    if (this.heartbeat) clearInterval(this.heartbeat)
    const current = await readOwner(this.file)
    if (current && current.nonce === this.owner.nonce) await fs.rm(this.file, {force: true})
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      const now = new Date()
      fs.utimes(this.file, now, now).catch(() => {})
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
  }
}

/** Run `fn` holding the lock; always release, even when `fn` throws. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await WorkspaceLock.acquire(file, options)
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

/** `lock.<pid>.<nonce>.tmp` files of processes killed between writing them and linking them into place. */
async function removeDeadTemporaries(file: string): Promise<void> {
  const dir = path.dirname(file)
  const prefix = `${path.basename(file)}.`
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length)) : null
    if (m && !isProcessAlive(Number(m[1]))) await fs.rm(path.join(dir, name), {force: true})
  }
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  const tmp = `${file}.${owner.pid}.${owner.nonce}.tmp`
  try {
    await fs.writeFile(tmp, JSON.stringify(owner) + '\n') // a full disk fails here: the finally removes the empty file
    await fs.link(tmp, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await fs.rm(tmp, {force: true})
  }
}

/** The owner, `null` when the file exists but cannot be read as an owner, `undefined` when there is no lock. */
async function readOwner(file: string): Promise<LockOwner | null | undefined> {
  const text = await readIfExists(file)
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as LockOwner
    return typeof value.pid === 'number' && typeof value.nonce === 'string' ? value : null
  } catch {
    return null
  }
}

async function isStale(file: string, owner: LockOwner | null): Promise<boolean> {
  if (owner && owner.host === os.hostname()) return !isSameProcess(owner)
  try {
    const stat = await fs.stat(file)
    return Date.now() - stat.mtimeMs > STALE_MS
  } catch {
    return false
  }
}

async function breakLock(file: string, seen: LockOwner | null): Promise<void> {
  const guard = `${file}.break`
  const guardOwner: LockOwner = {
    command: 'break',
    host: os.hostname(),
    nonce: randomHex(8),
    pid: process.pid,
    since: new Date().toISOString(),
  }
  if (!(await tryCreate(guard, guardOwner))) {
    // someone else is breaking it; a guard older than GUARD_STALE_MS was left by a crash mid-break
    const stat = await fs.stat(guard).catch(() => undefined)
    if (stat && Date.now() - stat.mtimeMs > GUARD_STALE_MS) await fs.rm(guard, {force: true})
    await sleep(POLL_MS / 4)
    return
  }
  try {
    const current = await readOwner(file)
    const same =
      current === null ? seen === null : current !== undefined && seen !== null && current.nonce === seen.nonce
    if (same) await fs.rm(file, {force: true})
  } finally {
    await fs.rm(guard, {force: true})
  }
}

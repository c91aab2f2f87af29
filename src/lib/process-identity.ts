import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'

import {isProcessAlive} from './process-alive.js'

/**
 * Process identity: a pid alone names a process only until it exits. After a reboot, or by chance on a busy
 * machine, the same number belongs to an unrelated process, which must never keep a dead run "running" or receive
 * exp's signals. So a pid is recorded with its start time (field 22 of /proc/<pid>/stat, in clock ticks since
 * boot, on Linux; `ps -o lstart=` elsewhere) and the boot id (/proc/sys/kernel/random/boot_id), and a process is
 * "the same" only when the pid is alive and both still match.
 *
 * A record written before identities were kept has no start time: its pid is then trusted as before (alive by
 * signal 0), the only thing such a record can offer.
 */
export interface ProcessIdentity {
  pid: number
  /** start time as the system reports it (opaque; compared for equality only) */
  start?: string
  boot_id?: string
}

let cachedBootId: string | undefined | null = null

/** This boot of this machine (Linux); undefined where the system does not say. */
export function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined
    } catch {
      cachedBootId = undefined
    }
  }
  return cachedBootId
}

/** When the process `pid` started, or undefined when it does not exist (or the system cannot say). */
export function processStart(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return fields[19] // field 22 of the whole line: starttime
    } catch {
      return undefined
    }
  }
  try {
    // node:child_process only here, never on Linux: loading it (with net, dgram, …) cost every command ≈ 5 ms
    const {execFileSync} = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')
    return (
      execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    )
  } catch {
    return undefined
  }
}

/** The identity of a running process (this one by default), to record beside its pid. */
export function identify(pid = process.pid): ProcessIdentity {
  return {boot_id: bootId(), pid, start: processStart(pid)}
}

/**
 * True when the process recorded as `identity` is still running: the pid is alive, and, when a start time and a
 * boot id were recorded, this is the same boot and the process started at the same instant.
 */
export function isSameProcess(identity: Partial<ProcessIdentity> | undefined): boolean {
  if (!identity || !isProcessAlive(identity.pid)) return false
  if (identity.boot_id !== undefined && bootId() !== undefined && identity.boot_id !== bootId()) return false
  if (identity.start !== undefined && processStart(identity.pid!) !== identity.start) return false
  return true
}

/**
 * Send `signal` to the recorded process (or, with `group`, to the process group it leads) only when it is still
 * the same process. Returns whether the signal was sent.
 */
export function signalIfSame(
  identity: Partial<ProcessIdentity> | undefined,
  signal: NodeJS.Signals,
  group = false,
): boolean {
  if (!isSameProcess(identity)) return false
  try {
    process.kill(group ? -identity!.pid! : identity!.pid!, signal)
    return true
  } catch {
    return false
  }
}

/** A process named with its host: who holds something that outlives one exp call (a claimed work-graph node). */
export interface HostProcess extends ProcessIdentity {
  host: string
}

export function currentProcess(): HostProcess {
  return {host: os.hostname(), ...identify()}
}

/** Whether the process a record names is gone: decidable only on its own host (undefined elsewhere). */
export function processGone(who: HostProcess): boolean | undefined {
  return who.host === os.hostname() ? !isSameProcess(who) : undefined
}

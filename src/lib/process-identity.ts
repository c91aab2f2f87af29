import {readFileSync} from 'node:fs'
import os from 'node:os'

import {isProcessAlive} from './process-alive.js'

/**
 * A process is its pid AND its start time: pids are reused, so a record naming a pid names that process only while
 * the start time matches. Linux: field 22 of /proc/<pid>/stat (clock ticks since boot); elsewhere undefined.
 */
export function processStartTicks(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // after "pid (comm) ", field 3 (state) onward; comm may hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[22 - 3])
    return Number.isFinite(ticks) ? ticks : undefined
  } catch {
    return undefined
  }
}

export interface ProcessIdentity {
  host: string
  pid: number
  pid_start?: number
}

export function currentProcess(): ProcessIdentity {
  return {host: os.hostname(), pid: process.pid, pid_start: processStartTicks(process.pid)}
}

/** Whether the process a record names is gone: only decidable on its own host (undefined elsewhere). */
export function processGone(who: ProcessIdentity): boolean | undefined {
  if (who.host !== os.hostname()) return undefined
  if (!isProcessAlive(who.pid)) return true
  const start = who.pid_start === undefined ? undefined : processStartTicks(who.pid)
  return start !== undefined && start !== who.pid_start
}

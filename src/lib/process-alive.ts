import {readFileSync} from 'node:fs'

/**
 * True when a process with this pid exists on this machine and has not exited. Signal 0 checks existence without
 * sending anything; on Linux a zombie (exited, not yet reaped by its parent or PID 1) also answers signal 0, so its
 * state in /proc decides.
 */
export function isProcessAlive(pid: number | undefined | null): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return !isZombie(pid)
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // pid (comm) state ...: comm may hold spaces and parentheses, so read the state after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

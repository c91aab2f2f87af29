/** True when a process with this pid exists on this machine (signal 0 checks without sending anything). */
export function isProcessAlive(pid: number | undefined | null): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

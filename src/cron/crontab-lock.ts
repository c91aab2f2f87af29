import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {withLock} from '../lib/lock.js'

/**
 * The user's crontab is one table shared by every workspace: exp reads it, changes its own line and writes it whole,
 * so two installs at once would each drop the other's line. They take this per-user lock first: a file in exp's
 * cache folder (`$XDG_CACHE_HOME/exp`, `~/.cache/exp`), or, for a user without a writable home (cron-only service
 * accounts), a private folder of the user's in the temporary folder.
 */
export async function withCrontabLock<T>(command: string, fn: () => Promise<T>): Promise<T> {
  return withLock(await lockFile(), fn, {command, waitMs: 30_000})
}

async function lockFile(): Promise<string> {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  try {
    await fs.mkdir(path.join(cache, 'exp'), {mode: 0o700, recursive: true})
    return path.join(cache, 'exp', 'crontab.lock')
  } catch {
    const uid = process.getuid?.() ?? 0
    const dir = path.join(os.tmpdir(), `exp-${uid}`)
    await fs.mkdir(dir, {mode: 0o700, recursive: true})
    const stats = await fs.lstat(dir)
    // a folder someone else made there could let them hold (or break) our lock
    if (!stats.isDirectory() || stats.uid !== uid)
      throw new ExpError(`${dir} is not a private folder of yours; exp keeps its crontab lock there (remove it).`, {
        code: 'CRONTAB_LOCK',
      })
    return path.join(dir, 'crontab.lock')
  }
}

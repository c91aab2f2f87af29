import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The folder of exp's caches (validated settings, compiled code): `EXP_CACHE_DIR` when set (empty: no cache at all),
 * else $XDG_CACHE_HOME/exp or ~/.cache/exp. A cache there is an optimisation, never a source of truth.
 */
export function userCacheDir(): string | undefined {
  const configured = process.env.EXP_CACHE_DIR
  if (configured !== undefined) return configured === '' ? undefined : path.resolve(configured)
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'exp')
}

/**
 * Write a cache file whole (a temporary file renamed over it; no fsync: a cache lost in a crash is rebuilt), private
 * to the user; a cache that cannot be written is ignored.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
    writeFileSync(temp, data, {mode: 0o600})
    renameSync(temp, file)
  } catch {
    try {
      rmSync(temp, {force: true})
    } catch {
      // no folder to write in (a file in its place): there is no temporary file either
    }
  }
}

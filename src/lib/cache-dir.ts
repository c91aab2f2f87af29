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

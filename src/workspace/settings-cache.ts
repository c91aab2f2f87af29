import {promises as fs} from 'node:fs'
import path from 'node:path'

import {userCacheDir, writeCacheFile} from '../lib/cache-dir.js'
import {sha256} from '../lib/hash.js'
import type {Settings} from './settings.js'

/**
 * exp.yaml, validated once per change: the validated settings are kept in the user's cache folder, keyed by the
 * file's identity (device, inode, size, change and modification times to the nanosecond) and by the build of exp
 * that validated them. Every command reads exp.yaml, and parsing YAML and checking it against the schema (yaml +
 * zod: their loading alone is a third of an empty `exp list`) is then paid only after the file changed.
 *
 * The cache is an optimisation, never a source of truth: any doubt (no entry, another key, an unreadable or
 * malformed entry, a build without an id — tests running from src/) means parsing the file; a cache that cannot be
 * written is ignored. `EXP_CACHE_DIR` names the folder (empty: no cache); the default is $XDG_CACHE_HOME/exp or
 * ~/.cache/exp.
 */
export async function loadSettings(file: string): Promise<Settings> {
  const stat = await fs.stat(file, {bigint: true})
  const build = process.env.EXP_BUILD_ID
  const dir = userCacheDir()
  const key = [build, file, stat.dev, stat.ino, stat.size, stat.ctimeNs, stat.mtimeNs].join(' ')
  const entry = dir && build ? path.join(dir, 'settings', `${entryName(file)}.json`) : undefined
  if (entry) {
    const cached = await readEntry(entry)
    if (cached?.key === key) return cached.settings
  }
  const [{parseSettings}, text] = await Promise.all([import('./settings.js'), fs.readFile(file, 'utf8')])
  const settings = parseSettings(text, file)
  if (entry) writeCacheFile(entry, JSON.stringify({key, settings} satisfies Entry))
  return settings
}

/** The entry's name: exp.yaml's path itself (base64url) when short enough for a file name, else its hash. */
function entryName(file: string): string {
  const name = Buffer.from(file).toString('base64url')
  if (name.length <= 200) return name
  return sha256(file).slice(0, 32)
}

interface Entry {
  key: string
  settings: Settings
}

async function readEntry(file: string): Promise<Entry | undefined> {
  try {
    const entry = JSON.parse(await fs.readFile(file, 'utf8')) as Entry
    return typeof entry?.key === 'string' && entry.settings && typeof entry.settings === 'object' ? entry : undefined
  } catch {
    return undefined
  }
}

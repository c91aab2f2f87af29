import {promises as fs} from 'node:fs'
import path from 'node:path'

import {userCacheDir} from '../lib/cache-dir.js'
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
  const entry = dir && build ? path.join(dir, 'settings', `${await entryName(file)}.json`) : undefined
  if (entry) {
    const cached = await readEntry(entry)
    if (cached?.key === key) return cached.settings
  }
  const [{parseSettings}, text] = await Promise.all([import('./settings.js'), fs.readFile(file, 'utf8')])
  const settings = parseSettings(text, file)
  if (entry) await writeEntry(entry, {key, settings})
  return settings
}

/**
 * The entry's name: exp.yaml's path itself (base64url) when short enough for a file name, else its hash. node:crypto
 * loads only then: loading it cost every command ≈ 3 ms at start-up.
 */
async function entryName(file: string): Promise<string> {
  const name = Buffer.from(file).toString('base64url')
  if (name.length <= 200) return name
  return (await import('node:crypto')).createHash('sha256').update(file).digest('hex').slice(0, 32)
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

async function writeEntry(file: string, entry: Entry): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    await fs.mkdir(path.dirname(file), {mode: 0o700, recursive: true})
    await fs.writeFile(temp, JSON.stringify(entry), {mode: 0o600})
    await fs.rename(temp, file)
  } catch {
    await fs.rm(temp, {force: true}).catch(() => {})
  }
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import {writeJsonAtomic} from './atomic.js'

/**
 * A small write-ahead journal: one JSON file per in-flight step, written atomically (and fsynced) BEFORE the step
 * starts and removed once it is complete. A process killed in the middle leaves its entry behind; the next exp
 * process that takes the workspace lock reads it and finishes or rolls back that step (see workspace/recovery.ts).
 *
 * The journal knows nothing of what a step does: an entry is `{op, id, ...}` and the op's owner interprets the rest.
 * Only the holder of the workspace lock writes entries, so under the lock every entry found belongs to a dead process.
 */
export interface JournalEntry {
  schema: 1
  /** file name without .json; unique among in-flight steps */
  id: string
  op: string
  phase: string
  started_at: string
  pid: number
}

/** A path as an entry records it: relative to the workspace root when inside it (the workspace can move), else absolute. */
export function entryPath(root: string, file: string): string {
  const rel = path.relative(root, file)
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel
}

export interface PendingEntries<E extends JournalEntry = JournalEntry> {
  entries: E[]
  /** files that are not readable entries (hand-edited or corrupt): left in place, reported */
  unreadable: Array<{file: string; error: string}>
}

export function entryFile(dir: string, id: string): string {
  return path.join(dir, `${id}.json`)
}

/** Durably record a step before starting it. */
export async function writeEntry(dir: string, entry: JournalEntry): Promise<void> {
  await writeJsonAtomic(entryFile(dir, entry.id), entry)
}

/**
 * The step is complete: forget it. Not fsynced: if a power loss brings the entry back, recovery finds the step
 * complete and only removes the entry again (every recovery is idempotent); the next entry written syncs the folder.
 */
export async function removeEntry(dir: string, id: string): Promise<void> {
  await fs.rm(entryFile(dir, id), {force: true})
}

/**
 * Entries left by interrupted steps, oldest first. Temporary files of an interrupted atomic write (hidden `.*.tmp`)
 * are removed: under the lock nobody else can be writing them.
 */
export async function pendingEntries(dir: string): Promise<PendingEntries> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: [], unreadable: []}
    throw error
  }
  const out: PendingEntries = {entries: [], unreadable: []}
  for (const name of names.sort()) {
    const file = path.join(dir, name)
    if (name.startsWith('.')) {
      if (name.endsWith('.tmp')) await fs.rm(file, {force: true})
      continue
    }
    if (!name.endsWith('.json')) continue
    try {
      const value = JSON.parse(await fs.readFile(file, 'utf8')) as JournalEntry
      if (!value || typeof value !== 'object' || typeof value.op !== 'string' || typeof value.id !== 'string')
        throw new Error('not a journal entry')
      out.entries.push(value)
    } catch (error) {
      out.unreadable.push({error: messageOf(error), file})
    }
  }
  out.entries.sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id))
  return out
}

/** True when the journal holds any entry (cheap: one readdir), so read-only commands know recovery is due. */
export async function hasPendingEntries(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).some((name) => !name.startsWith('.') && name.endsWith('.json'))
  } catch {
    return false
  }
}

import {randomBytes} from 'node:crypto'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {fsyncDir} from './atomic.js'
import {entryPath, type JournalEntry, removeEntry, writeEntry} from './journal.js'

/**
 * Several files replaced (and some removed) together or not at all, through the write-ahead journal:
 * 1. the entry is written (phase `staging`), naming every target and its staged copy;
 * 2. each new content is written, fsynced, into a hidden sibling of its target (`.<name>.<id>.staged`): no target
 *    is touched yet;
 * 3. the entry is rewritten with phase `committed`: the commit point (one atomic rename of the entry);
 * 4. each staged copy is renamed over its target, the files to remove are removed, the folders fsynced;
 * 5. the entry is removed.
 * Recovery (under the workspace lock) of an entry still `staging` removes the staged copies: nothing changed. One
 * `committed` renames every staged copy still there and removes what was to be removed: all of it changed. Both
 * are idempotent, so a recovery killed in turn is recovered again.
 *
 * Paths in the entry are relative to `root` when inside it (the workspace can move between a crash and recovery).
 */
export interface FileSetEntry extends JournalEntry {
  phase: 'staging' | 'committed'
  /** one line for a person: what the step does */
  what: string
  writes: Array<{target: string; staged: string}>
  removes: string[]
}

export interface FileSetChange {
  op: string
  what: string
  writes: Array<{file: string; data: string}>
  removes?: string[]
}

/** The points a test can kill the process at: EXP_TEST_KILL_AT=<op>:<point> (see test/cli/promote-crash.test.ts). */
export function killPoint(op: string, point: string): void {
  if (process.env.EXP_TEST_KILL_AT === `${op}:${point}`) process.kill(process.pid, 'SIGKILL')
}

export async function commitFileSet(journal: string, root: string, change: FileSetChange): Promise<void> {
  const id = `${change.op}-${Date.now()}-${process.pid}-${randomBytes(3).toString('hex')}`
  const entry: FileSetEntry = {
    id,
    op: change.op,
    phase: 'staging',
    pid: process.pid,
    removes: (change.removes ?? []).map((f) => entryPath(root, f)),
    started_at: new Date().toISOString(),
    what: change.what,
    schema: 1,
    writes: change.writes.map((w) => ({
      staged: entryPath(root, stagedPath(w.file, id)),
      target: entryPath(root, w.file),
    })),
  }
  await writeEntry(journal, entry)
  killPoint(change.op, 'journaled')
  const dirs = new Set<string>()
  try {
    for (const [i, w] of change.writes.entries()) {
      await fs.mkdir(path.dirname(w.file), {recursive: true})
      await writeSynced(stagedPath(w.file, id), w.data)
      dirs.add(path.dirname(w.file))
      killPoint(change.op, `staged-${i}`)
    }
    for (const dir of dirs) await fsyncDir(dir)
  } catch (error) {
    // nothing was committed: leave no staged copy and no entry behind (disk full, a folder that cannot be written)
    await recoverFileSet(root, entry).catch(() => {})
    await removeEntry(journal, id).catch(() => {})
    throw error
  }
  await writeEntry(journal, {...entry, phase: 'committed'})
  killPoint(change.op, 'committed')
  await applyCommitted(root, entry, (i) => killPoint(change.op, `renamed-${i}`))
  if (entry.removes.length > 0) killPoint(change.op, 'removed')
  await removeEntry(journal, id)
}

/** Finish (committed) or undo (staging) an interrupted file set. */
export async function recoverFileSet(root: string, entry: FileSetEntry): Promise<'finished' | 'rolled-back'> {
  checkEntry(root, entry)
  if (entry.phase === 'committed') {
    await applyCommitted(root, entry)
    return 'finished'
  }
  for (const w of entry.writes) await fs.rm(resolve(root, w.staged), {force: true})
  return 'rolled-back'
}

async function applyCommitted(root: string, entry: FileSetEntry, after?: (i: number) => void): Promise<void> {
  const dirs = new Set<string>()
  for (const [i, w] of entry.writes.entries()) {
    const staged = resolve(root, w.staged)
    const target = resolve(root, w.target)
    try {
      await fs.rename(staged, target)
    } catch (error) {
      // already renamed by the run that was killed (or by an earlier recovery)
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    dirs.add(path.dirname(target))
    after?.(i)
  }
  for (const file of entry.removes) {
    await fs.rm(resolve(root, file), {force: true})
    dirs.add(path.dirname(resolve(root, file)))
  }
  for (const dir of dirs) await fsyncDir(dir)
}

/** A journal entry is a file others can edit: only staged copies exp names itself, beside their targets. */
function checkEntry(root: string, entry: FileSetEntry): void {
  const ok =
    Array.isArray(entry.writes) &&
    Array.isArray(entry.removes) &&
    entry.writes.every(
      (w) =>
        typeof w.target === 'string' &&
        typeof w.staged === 'string' &&
        resolve(root, w.staged) === stagedPath(resolve(root, w.target), entry.id),
    ) &&
    entry.removes.every((f) => typeof f === 'string')
  if (!ok) throw new Error('the entry is not one exp wrote (its staged files are not beside their targets)')
}

function stagedPath(file: string, id: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${id}.staged`)
}

async function writeSynced(file: string, data: string): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o644)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function resolve(root: string, stored: string): string {
  return path.resolve(root, stored)
}

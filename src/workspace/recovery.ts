import {promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import {hasPendingEntries, type JournalEntry, pendingEntries, removeEntry} from '../lib/journal.js'
import {withLock} from '../lib/lock.js'
import {newFolders} from './new-marker.js'
import {loadRecoveryHandlers} from './recovery-hook.js'
import type {Workspace} from './types.js'

/**
 * How one journaled operation is finished or rolled back. The module that owns an operation registers it
 * (src/recovery-handlers.ts, loaded when a journal entry is found: recovery-hook.ts), so this layer names no
 * operation and a new one edits nothing here.
 */
export interface RecoveryHandler {
  /** the step, for a line that says it could not be recovered: "the interrupted archiving of X" */
  what(entry: JournalEntry): string
  /** finish or roll it back; the line (or lines) to show. Throwing keeps the entry (and says so). */
  recover(ws: Workspace, entry: JournalEntry): Promise<string | string[]>
}

const handlers = new Map<string, () => Promise<RecoveryHandler>>()

/** Register the recovery of journal entries whose `op` is one of `ops` (loaded only when such an entry is found). */
export function registerRecovery(ops: string[], load: () => Promise<RecoveryHandler>): void {
  for (const op of ops) handlers.set(op, load)
}

/**
 * Finish or roll back a step that a killed exp process left half-done (see lib/journal.ts). Called under the
 * workspace lock before every mutating command (withWorkspaceLock), and by read-only commands when a journal
 * exists (recoverIfPending). Returns one line per entry handled, for the command to show.
 *
 * An entry that cannot be resolved (the disk is not in a state exp produced) is left in place with its files and
 * reported; it blocks nothing but further moves of that one experiment.
 */
export async function recoverInterrupted(ws: Workspace): Promise<string[]> {
  const {entries, unreadable} = await pendingEntries(ws.paths.journal)
  const lines: string[] = unreadable.map(
    (u) => `journal entry ${path.relative(ws.root, u.file)} is unreadable (${u.error}); left alone.`,
  )
  lines.push(...(await removeUnfinishedNew(ws)))
  if (entries.length > 0) await loadRecoveryHandlers()
  for (const entry of entries) {
    const load = handlers.get(entry.op)
    if (!load) {
      lines.push(`journal entry ${entry.id} has an unknown step "${entry.op}" (from a newer exp?); left alone.`)
      continue
    }
    const handler = await load()
    try {
      const done = await handler.recover(ws, entry)
      await removeEntry(ws.paths.journal, entry.id)
      lines.push(...[done].flat())
    } catch (error) {
      lines.push(`could not recover ${handler.what(entry)}: ${messageOf(error)} (journal entry kept).`)
    }
  }
  return lines
}

/**
 * For read-only commands: when an interrupted step is pending, recover it now if the lock is free (no waiting).
 * When another exp process holds the lock, it is the one that recovers; nothing is done here.
 */
export async function recoverIfPending(ws: Workspace): Promise<string[]> {
  if (!(await hasPendingEntries(ws.paths.journal))) return []
  try {
    return await withLock(ws.paths.lock, () => recoverInterrupted(ws), {waitMs: 0})
  } catch {
    return []
  }
}

/**
 * `exp new` builds an experiment in a hidden `.new-<name>-<random>` folder and renames it into place under the lock;
 * one that is still there when we hold the lock was left by a killed `exp new`, and never became an experiment.
 */
async function removeUnfinishedNew(ws: Workspace): Promise<string[]> {
  // only folders holding exp's marker: anything else named .new-* is a person's, left alone (exp list reports it)
  const {ours} = await newFolders(ws.paths.experiments)
  const lines: string[] = []
  for (const name of ours) {
    await fs.rm(path.join(ws.paths.experiments, name), {force: true, recursive: true})
    lines.push(`removed ${name}, left by an interrupted exp new (it never became an experiment).`)
  }
  return lines
}

import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import {hasPendingEntries, pendingEntries, removeEntry} from '../lib/journal.js'
import {withLock} from '../lib/lock.js'
import {newFolders} from './new-marker.js'
import {relativeToRoot, type Workspace} from './workspace.js'

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
  const lines: string[] = unreadable.map((u) => `journal entry ${relativeToRoot(ws, u.file)} is unreadable (${u.error}); left alone.`)
  lines.push(...(await removeUnfinishedNew(ws)))
  for (const entry of entries) {
    if (entry.op === 'archive' || entry.op === 'restore') {
      const {movePaths, recoverMove} = await import('../archive/move.js')
      const move = entry as import('../archive/move.js').MoveEntry
      const what = entry.op === 'archive' ? 'archiving' : 'restoring'
      try {
        const action = await recoverMove(ws, move)
        const {copy, src, staging} = movePaths(ws, move)
        if (action === 'finished') lines.push(`finished the interrupted ${what} of ${move.name}: it is in ${move.dst}.`)
        else if (action === 'rolled-back') lines.push(`rolled back the interrupted ${what} of ${move.name}: it is still in ${relativeToRoot(ws, src)}.`)
        else {
          const left = [copy, staging].filter((p) => existsSync(p)).map((p) => relativeToRoot(ws, p))
          const kept = left.length > 0 ? `; kept for you to look at: ${left.join(', ')}` : ''
          lines.push(`the interrupted ${what} of ${move.name} found it in neither ${move.src} nor ${move.dst}${kept}.`)
        }
        await removeEntry(ws.paths.journal, entry.id)
      } catch (error) {
        lines.push(`could not recover the interrupted ${what} of ${move.name}: ${messageOf(error)} (journal entry kept).`)
      }
    } else if (entry.op === 'adopt') {
      const {recoverAdopt} = await import('../curate/adopt-step.js')
      const adopt = entry as import('../curate/adopt-step.js').AdoptEntry
      try {
        const action = await recoverAdopt(ws, adopt)
        if (action === 'finished') lines.push(`finished the interrupted adopt of ${adopt.src}: it is ${adopt.dst}/config.yaml.`)
        else if (action === 'rolled-back') lines.push(`rolled back the interrupted adopt of ${adopt.src}: it is still there.`)
        else lines.push(`the interrupted adopt of ${adopt.src} found it in neither ${adopt.src} nor ${adopt.dst}.`)
        await removeEntry(ws.paths.journal, entry.id)
      } catch (error) {
        lines.push(`could not recover the interrupted adopt of ${adopt.src}: ${messageOf(error)} (journal entry kept).`)
      }
    } else if (entry.op === 'promote' || entry.op === 'rollback') {
      lines.push(await recoverFiles(ws, entry as import('../lib/file-set.js').FileSetEntry))
    } else {
      lines.push(`journal entry ${entry.id} has an unknown step "${entry.op}" (from a newer exp?); left alone.`)
    }
  }
  return lines
}

/** A promotion or rollback: its files all written (committed) or none (not yet committed). */
async function recoverFiles(ws: Workspace, entry: import('../lib/file-set.js').FileSetEntry): Promise<string> {
  const {recoverFileSet} = await import('../lib/file-set.js')
  try {
    const action = await recoverFileSet(ws.root, entry)
    await removeEntry(ws.paths.journal, entry.id)
    return action === 'finished' ? `finished ${entry.what}, interrupted after its commit point.` : `rolled back ${entry.what}, interrupted before its commit point: nothing of it was written.`
  } catch (error) {
    return `could not recover ${entry.what ?? entry.id}: ${messageOf(error)} (journal entry kept).`
  }
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

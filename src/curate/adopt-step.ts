import {promises as fs} from 'node:fs'
import path from 'node:path'

import {identityOf, type Identity} from '../lib/journaled-move.js'
import {ExpError, messageOf} from '../errors.js'
import {CONFIG_FILE, METADATA_FILE, NOTES_FILE} from '../experiments/scan.js'
import {fsyncDir, writeFileAtomic} from '../lib/atomic.js'
import {entryFile, type JournalEntry, removeEntry, writeEntry} from '../lib/journal.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

/**
 * One config file becoming an experiment, journaled (lib/journal.ts; recovered by workspace/recovery.ts):
 * 1. the entry is written (fsynced) before anything else;
 * 2. notes.md and metadata.json are written, fsynced, into a hidden folder beside the destination
 *    (`experiments/.adopt-<name>`), dated to the file's own mtime;
 * 3. the file is renamed into that folder as config.yaml — the commit point: the file is never copied, so it is in
 *    exactly one place at every instant;
 * 4. the folder is renamed to `experiments/<name>` (the experiment appears whole) and the entry removed.
 * Recovery reads the disk: the file still at its source → roll back (the hidden folder goes); the file in the
 * hidden folder (the same inode the entry recorded) → finish (steps 4); the destination whole → done.
 */
export interface AdoptEntry extends JournalEntry {
  op: 'adopt'
  name: string
  /** workspace-relative when inside the workspace, else absolute */
  src: string
  dst: string
  staging: string
  src_identity: Identity
  /** the file's mtime (ms): the experiment's files carry it, so an old config makes a stale experiment */
  mtime_ms: number
}

export type AdoptRecovery = 'finished' | 'rolled-back' | 'missing'

export function adoptId(name: string): string {
  return `adopt-${name}`
}

export function stagingFor(dst: string): string {
  return path.join(path.dirname(dst), `.adopt-${path.basename(dst)}`)
}

function pathsOf(ws: Workspace, entry: AdoptEntry) {
  const at = (p: string) => path.resolve(ws.root, p)
  return {dst: at(entry.dst), src: at(entry.src), staging: at(entry.staging)}
}

/** Points a test can stop at. */
export type AdoptPoint = 'journaled' | 'staged' | 'committed'

export async function adoptFile(
  ws: Workspace,
  entry: Omit<AdoptEntry, 'src_identity'>,
  files: {notes: string; metadata: string},
  at: (p: AdoptPoint) => void = () => {},
): Promise<void> {
  const src = path.resolve(ws.root, entry.src)
  const identity = await identityOf(src)
  if (!identity) throw new ExpError(`${entry.src} does not exist (any more).`, {code: 'NOT_FOUND'})
  const full: AdoptEntry = {...entry, src_identity: identity}
  const {dst, staging} = pathsOf(ws, full)
  await fs.mkdir(path.dirname(dst), {recursive: true})
  await writeEntry(ws.paths.journal, full)
  at('journaled')
  try {
    await fs.rm(staging, {force: true, recursive: true})
    await fs.mkdir(staging)
    const when = new Date(full.mtime_ms)
    for (const [name, text] of [
      [NOTES_FILE, files.notes],
      [METADATA_FILE, files.metadata],
    ] as const) {
      await writeFileAtomic(path.join(staging, name), text)
      await fs.utimes(path.join(staging, name), when, when)
    }
    await fsyncDir(path.dirname(staging))
    at('staged')
    await fs.rename(src, path.join(staging, CONFIG_FILE))
    await fsyncDir(staging)
    await fsyncDir(path.dirname(src))
    at('committed')
    await finish(full, staging, dst)
  } catch (error) {
    let action: AdoptRecovery
    try {
      action = await recoverAdopt(ws, full)
    } catch (recoveryError) {
      throw new ExpError(
        `${messageOf(error)}; putting it back failed too (${messageOf(recoveryError)}). The journal keeps the step: the next exp command retries.`,
        {code: 'ADOPT_FAILED'},
      )
    }
    await removeEntry(ws.paths.journal, full.id)
    if (action === 'finished') return
    throw error
  }
  await removeEntry(ws.paths.journal, full.id)
}

async function finish(entry: AdoptEntry, staging: string, dst: string): Promise<void> {
  const when = new Date(entry.mtime_ms)
  await fs.utimes(staging, when, when)
  await fs.rename(staging, dst)
  await fs.utimes(dst, when, when)
  await fsyncDir(path.dirname(dst))
}

/** Finish or roll back an interrupted adopt from what is on disk (idempotent). */
export async function recoverAdopt(ws: Workspace, entry: AdoptEntry): Promise<AdoptRecovery> {
  const {dst, src, staging} = pathsOf(ws, entry)
  const staged = await identityOf(path.join(staging, CONFIG_FILE))
  if (staged && staged.dev === entry.src_identity.dev && staged.ino === entry.src_identity.ino) {
    if (await identityOf(dst))
      throw new ExpError(
        `${entry.dst} appeared while ${entry.src} was being adopted; the file waits in ${relativeToRoot(ws, staging)}.`,
        {code: 'EXISTS'},
      )
    await finish(entry, staging, dst)
    return 'finished'
  }
  if (await identityOf(src)) {
    await fs.rm(staging, {force: true, recursive: true})
    return 'rolled-back'
  }
  if (await identityOf(path.join(dst, CONFIG_FILE))) return 'finished'
  return 'missing'
}

/** An earlier interrupted adopt of this experiment that recovery could not resolve blocks a second one. */
export async function journalStuck(ws: Workspace, name: string): Promise<boolean> {
  return identityOf(entryFile(ws.paths.journal, adoptId(name))).then(Boolean)
}

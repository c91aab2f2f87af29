import {promises as fs, mkdirSync, renameSync} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {fsyncDir} from './atomic.js'
import {entryFile, removeEntry, writeEntry} from './journal.js'
import {verifyCopy, writeStaged} from './journaled-move-verify.js'
import {
  COPY_IDENTITY,
  exists,
  type Identity,
  identityOf,
  type MoveContext,
  type MoveEntry,
  type MoveHooks,
  type MoveOutcome,
  movePaths,
  type StageFn,
  stagedLeft,
  stagedPath,
  stagingDirs,
} from './journaled-move-entry.js'

export {
  exists,
  type Identity,
  identityOf,
  type MoveContext,
  type MoveEntry,
  type MoveHooks,
  moveId,
  type MoveOutcome,
  type MovePaths,
  movePaths,
  type MovePoint,
  siblingsOf,
  type StagedFile,
  type StageFn,
  stagedPath,
  stagingDirs,
} from './journaled-move-entry.js'

/**
 * Moving a whole directory (an experiment, between experiments/ and the archive), crash-safe. Nothing here knows
 * what is moved or why: the caller names its operation (`entry.op`), stages the files that arrive with it, and
 * registers the recovery of its operation (workspace/recovery.ts) — which calls recoverMove below.
 *
 * Order of one move (the journal entry is written before anything else and removed after everything):
 * 1. stage: the files that must arrive with the experiment (the archive metadata.json, copies of workspace reports)
 *    are written into a hidden sibling of the destination (`.<name>.exp-staging/`, on the destination's
 *    filesystem; the moves of a batch share one, lib/journaled-move-batch.ts). The source is not touched at all: not a file, not its folder's mtime;
 * 2. commit: one rename of the directory (same filesystem: it costs the same for 1 KB or 100 GB). Across
 *    filesystems: copy to a hidden sibling of the destination, verify every file (size and sha256) and fsync it,
 *    record the copy's identity in the staging folder, rename the copy to the destination (the commit point), then
 *    remove the source;
 * 3. finish: the staged files are renamed into the destination (metadata.json last) and the staging folder goes.
 *
 * Recovery reads the disk, not a phase. The destination is this move's when it is the source itself, renamed (the
 * same device and inode the journal recorded), or the verified copy (the identity recorded in the staging folder):
 * then the move was committed and is finished (a source left by a cross-filesystem copy is removed only after each of
 * its remaining files is found in the destination identically). Otherwise the move is rolled back: the staging folder
 * and any partial copy are removed, and the source is as it was. So every experiment ends whole in exactly one place,
 * and its config.yaml and notes.md are never rewritten.
 */
/**
 * Move one directory, journaled. `stage` writes into the staging folder the files listed in `entry.staged`
 * (durably: fsynced), calling `midway` between two of them (a point tests stop at). An ordinary failure is undone
 * (or, after the commit point, completed) before it is thrown.
 */
export async function journaledMove(
  ctx: MoveContext,
  entry: MoveEntry,
  stage: StageFn,
  hooks: MoveHooks = {},
): Promise<MoveOutcome> {
  const {copy, dst, src, staging} = movePaths(ctx, entry)
  const at = hooks.at ?? (() => {})
  const rename = hooks.rename ?? fs.rename
  await checkMove(ctx, entry)
  await fs.mkdir(path.dirname(dst), {recursive: true})
  await writeEntry(ctx.journalDir, entry)
  await at('journaled')
  let crossDevice = false
  try {
    await fs.rm(staging, {force: true, recursive: true})
    await fs.rm(copy, {force: true, recursive: true})
    const dirs = stagingDirs(staging, entry)
    for (const dir of [...dirs].reverse()) await fs.mkdir(dir)
    await stage(
      (to) => stagedPath(staging, entry, to),
      () => at('staging'),
    )
    // the staged files were fsynced as written; now their folder entries, then the staging folder's own entry
    for (const dir of dirs) await fsyncDir(dir)
    await fsyncDir(path.dirname(staging))
    await at('staged')
    try {
      await rename(src, dst)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      crossDevice = true
    }
    if (crossDevice) {
      const {copy: copyTree} = await import('fs-extra')
      await copyTree(src, copy, {dereference: false, errorOnExist: true, overwrite: false, preserveTimestamps: true})
      await at('copied')
      await verifyCopy(src, copy, {sync: true})
      await hooks.verify?.(src, copy)
      await writeStaged(path.join(staging, COPY_IDENTITY), JSON.stringify(await identityOf(copy)))
      await fsyncDir(staging)
      await rename(copy, dst)
    }
    await fsyncDir(path.dirname(dst))
    await at('committed')
    if (crossDevice) {
      await fs.rm(src, {recursive: true})
      await at('source-removed')
    }
    await fsyncDir(path.dirname(src))
    await finishMove(staging, dst, entry)
    await at('finished')
  } catch (error) {
    let recovered: RecoveryAction
    try {
      recovered = await recoverMove(ctx, entry)
    } catch (recoveryError) {
      throw new ExpError(
        `${messageOf(error)}; putting it back failed too (${messageOf(recoveryError)}). The journal keeps the step: the next exp command retries.`,
        {
          code: 'MOVE_FAILED',
        },
      )
    }
    await removeEntry(ctx.journalDir, entry.id)
    // failed after the commit point (while finishing): recovery completed it, so the move did happen
    if (recovered === 'finished') return {crossDevice}
    throw error
  }
  await removeEntry(ctx.journalDir, entry.id)
  return {crossDevice}
}

/**
 * Before a move is journaled: the destination is free, the source there (its identity recorded in the entry), and
 * no earlier move of it is stuck in the journal.
 */
export async function checkMove(ctx: MoveContext, entry: MoveEntry): Promise<void> {
  const {dst, src} = movePaths(ctx, entry)
  if (await exists(dst)) throw new ExpError(`${entry.dst} already exists; it is never overwritten.`, {code: 'EXISTS'})
  const identity = await identityOf(src)
  if (!identity) throw new ExpError(`${entry.src} does not exist (any more).`, {code: 'NOT_FOUND'})
  if (await exists(entryFile(ctx.journalDir, entry.id))) {
    throw new ExpError(
      `an earlier interrupted move of ${entry.name} could not be completed (${path.relative(ctx.root, entryFile(ctx.journalDir, entry.id))}); it is left alone.`,
      {
        code: 'JOURNAL_STUCK',
      },
    )
  }
  entry.src_identity = identity
}

/**
 * Rename the staged files into the destination (idempotent: a file already moved is not in staging any more), then
 * remove the staging folder unless it is shared (its batch removes it). `sync` makes each folder touched durable (a
 * batch collects them and syncs each folder once).
 */
export async function finishMove(
  staging: string,
  dst: string,
  entry: MoveEntry,
  sync: (dir: string) => Promise<void> = fsyncDir,
): Promise<void> {
  if (!(await exists(staging))) return
  const touched = new Set<string>()
  for (const file of entry.staged) {
    const from = path.join(staging, file.from)
    if (!(await exists(from))) continue
    const to = path.join(dst, file.to)
    if (!file.replace && (await exists(to))) {
      throw new ExpError(
        `${file.to} appeared in ${entry.dst} while it was being moved; it is not overwritten (the staged copy stays in ${path.basename(staging)}/).`,
        {code: 'EXISTS'},
      )
    }
    if (path.dirname(to) !== dst) mkdirSync(path.dirname(to), {recursive: true})
    renameSync(from, to)
    touched.add(path.dirname(to))
  }
  touched.add(dst)
  if (entry.shared_staging) {
    touched.add(staging)
  } else {
    await fs.rm(staging, {force: true, recursive: true})
    touched.add(path.dirname(staging))
  }
  for (const dir of touched) await sync(dir)
}

export type RecoveryAction = 'finished' | 'rolled-back' | 'missing'

/** Is the destination this move's: the source renamed, or its verified copy? */
async function isOurs(dst: string, staging: string, entry: MoveEntry): Promise<boolean> {
  const id = await identityOf(dst)
  if (!id) return false
  const same = (a: Identity | undefined) => a !== undefined && a.dev === id.dev && a.ino === id.ino
  if (same(entry.src_identity)) return true
  // a batch never copies across filesystems, and its shared staging folder holds no copy's identity
  if (entry.shared_staging) return false
  try {
    return same(JSON.parse(await fs.readFile(path.join(staging, COPY_IDENTITY), 'utf8')) as Identity)
  } catch {
    return false
  }
}

/** Finish (the destination is this move's) or roll back (otherwise) an interrupted move. */
export async function recoverMove(ctx: MoveContext, entry: MoveEntry): Promise<RecoveryAction> {
  const {copy, dst, src, staging} = movePaths(ctx, entry)
  const srcThere = await exists(src)
  // a finished move has no staged file left: nothing remains to do
  const waiting = entry.shared_staging ? await stagedLeft(staging, entry) : await exists(staging)
  const done = !srcThere && !waiting && (await exists(dst))
  if (done || (await isOurs(dst, staging, entry))) {
    if (srcThere) {
      // only a cross-filesystem move has both: check the files still in the source against the verified copy
      // once more before removing them
      await verifyCopy(src, dst, {subset: true})
      await fs.rm(src, {recursive: true})
      await fsyncDir(path.dirname(src))
    }
    await fs.rm(copy, {force: true, recursive: true})
    await finishMove(staging, dst, entry)
    return 'finished'
  }
  // the source vanished (not by exp: it removes a source only once the destination is committed): whatever is
  // left (a partial copy, the staged record) may be all there is, so it is kept for a person to look at
  if (!srcThere) return 'missing'
  await fs.rm(copy, {force: true, recursive: true})
  if (entry.shared_staging) {
    // only this move's files: the others of its batch may still need theirs
    await Promise.all(entry.staged.map((file) => fs.rm(path.join(staging, file.from), {force: true})))
    if (await exists(staging)) await fsyncDir(staging)
  } else {
    await fs.rm(staging, {force: true, recursive: true})
    await fsyncDir(path.dirname(staging))
  }
  return 'rolled-back'
}

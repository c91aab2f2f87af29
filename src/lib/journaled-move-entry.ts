import {lstatSync} from 'node:fs'
import path from 'node:path'

import type {JournalEntry} from './journal.js'

// What one journaled move is (lib/journaled-move.ts): its journal entry, its paths and the identities it compares.
/** Where a move happens: the root relative paths are resolved against, and the journal's folder. */
export interface MoveContext {
  root: string
  journalDir: string
}

export interface StagedFile {
  /** path inside the staging folder */
  from: string
  /** path inside the experiment directory */
  to: string
  /** the target may exist and is replaced (metadata.json); otherwise an existing target is an error, never overwritten */
  replace?: boolean
}

/** A directory's identity: device and inode (as strings: inode numbers can exceed 2^53). */
export interface Identity {
  dev: string
  ino: string
}

export interface MoveEntry extends JournalEntry {
  name: string
  /** workspace-relative when inside the workspace, else absolute */
  src: string
  dst: string
  /** the source directory's identity: after a rename the destination has it */
  src_identity?: Identity
  /** hidden siblings of dst: where the staged files wait, and where a cross-filesystem copy is assembled */
  staging: string
  copy: string
  /** renamed into place after the commit, in this order */
  staged: StagedFile[]
  /**
   * The staging folder is shared by the moves of a batch (lib/journaled-move-batch.ts): this move owns only its
   * staged files in it (flat names), and the folder goes with the batch. Otherwise the folder is this move's own.
   */
  shared_staging?: boolean
}

/** In the staging folder: the identity of a verified cross-filesystem copy, written just before it is renamed. */
export const COPY_IDENTITY = '.copy-identity.json'

/** Points a test can stop the process at (see test/unit/move.test.ts). */
export type MovePoint = 'journaled' | 'staging' | 'staged' | 'copied' | 'committed' | 'source-removed' | 'finished'

export interface MoveHooks {
  at?: (point: MovePoint) => void | Promise<void>
  /** tests: a rename that fails with EXDEV, to exercise the cross-filesystem path on one filesystem */
  rename?: (from: string, to: string) => Promise<void>
  /** across filesystems: a further check of the verified copy before the source may go (checkpoint manifests) */
  verify?: (src: string, copy: string) => Promise<void>
}

export interface MovePaths {
  src: string
  dst: string
  staging: string
  copy: string
}

export function movePaths(ctx: MoveContext, entry: MoveEntry): MovePaths {
  const at = (p: string) => path.resolve(ctx.root, p)
  return {copy: at(entry.copy), dst: at(entry.dst), src: at(entry.src), staging: at(entry.staging)}
}

/** One journal id per moved folder: a stuck entry blocks further moves of that folder only. */
export function moveId(name: string): string {
  return `move-${name}`
}

/** The hidden siblings of a destination a move uses (hidden: the scan never takes them for experiments). */
export function siblingsOf(dst: string): {staging: string; copy: string} {
  const base = path.basename(dst)
  return {
    copy: path.join(path.dirname(dst), `.${base}.exp-copy`),
    staging: path.join(path.dirname(dst), `.${base}.exp-staging`),
  }
}

/**
 * Writes the staged files, durably, each where `place(to)` says (the path in the staging folder of the file that
 * arrives as `to`; its folder exists); calls `midway` between two of them (tests stop there).
 */
export type StageFn = (place: (to: string) => string, midway: () => void | Promise<void>) => Promise<void>

/** Where the staged file that arrives as `to` waits. */
export function stagedPath(staging: string, entry: MoveEntry, to: string): string {
  const file = entry.staged.find((f) => f.to === to)
  if (!file) throw new Error(`${to} is not staged by the move of ${entry.name}`)
  return path.join(staging, file.from)
}

/** Are any of this move's staged files still waiting in the staging folder? */
export async function stagedLeft(staging: string, entry: MoveEntry): Promise<boolean> {
  for (const file of entry.staged) if (await exists(path.join(staging, file.from))) return true
  return false
}

export interface MoveOutcome {
  crossDevice: boolean
}

// identityOf and exists are synchronous inside (see fsyncFd in lib/atomic.ts: a stat takes microseconds, handing it to
// the thread pool costs more), promise-returning for their callers
export async function identityOf(p: string): Promise<Identity | undefined> {
  const stat = lstatSync(p, {bigint: true, throwIfNoEntry: false})
  return stat && {dev: String(stat.dev), ino: String(stat.ino)}
}

/** The folders the staged files are in, deepest first, then the staging folder itself. */
export function stagingDirs(staging: string, entry: MoveEntry): string[] {
  const dirs = new Set<string>()
  for (const file of entry.staged) {
    for (
      let dir = path.dirname(path.join(staging, file.from));
      dir.startsWith(staging + path.sep);
      dir = path.dirname(dir)
    )
      dirs.add(dir)
  }
  return [...[...dirs].sort((a, b) => b.length - a.length), staging]
}

export async function exists(p: string): Promise<boolean> {
  return lstatSync(p, {throwIfNoEntry: false}) !== undefined
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {fsyncDir} from './atomic.js'
import {type JournalEntry, removeEntry, writeEntry} from './journal.js'
import {
  checkMove,
  finishMove,
  type MoveContext,
  type MoveEntry,
  type MoveHooks,
  type MoveOutcome,
  movePaths,
  recoverMove,
  type StageFn,
  stagingDirs,
} from './journaled-move.js'

/**
 * Many journaled moves (lib/journaled-move.ts) done as one: one journal entry listing every move of the batch,
 * each step issued for all of them together, and each folder fsynced once per step rather than once per move.
 * The steps and the disk states are those of a single move, so recovery is the single move's, run for every move
 * the entry lists (recoverBatch): each ends whole in exactly one place. One move that fails is put back (or, past
 * its commit point, finished) on its own; the others go on.
 *
 * A batch needs the source and destination on one filesystem (a rename commits each move); callers send moves
 * across filesystems one at a time (journaledMove), which copies and verifies.
 */
export const BATCH_OP = 'move-batch'

export interface BatchEntry extends JournalEntry {
  op: typeof BATCH_OP
  moves: MoveEntry[]
}

export interface BatchItem {
  entry: MoveEntry
  stage: StageFn
}

export type BatchResult = {error: unknown; ok: false} | {ok: true; outcome: MoveOutcome}

export async function journaledMoveBatch(
  ctx: MoveContext,
  id: string,
  items: BatchItem[],
  hooks: MoveHooks = {},
): Promise<BatchResult[]> {
  const at = hooks.at ?? (() => {})
  const results: BatchResult[] = items.map(() => ({ok: true, outcome: {crossDevice: false}}))
  const live = new Set<number>()
  await Promise.all(
    items.map(async (item, i) => {
      try {
        await checkMove(ctx, item.entry)
        live.add(i)
      } catch (error) {
        results[i] = {error, ok: false}
      }
    }),
  )
  if (live.size === 0) return results
  const paths = items.map((item) => movePaths(ctx, item.entry))
  const stuck: MoveEntry[] = []
  /** one move failed: put back on its own (or finished, past its commit point), out of the rest of the batch */
  const fail = async (i: number, error: unknown) => {
    live.delete(i)
    try {
      if ((await recoverMove(ctx, items[i].entry)) !== 'finished') results[i] = {error, ok: false}
    } catch (recoveryError) {
      stuck.push(items[i].entry)
      const message = `${messageOf(error)}; putting it back failed too (${messageOf(recoveryError)}). The journal keeps the step: the next exp command retries.`
      results[i] = {error: new ExpError(message, {code: 'MOVE_FAILED'}), ok: false}
    }
  }
  const each = (step: (i: number) => Promise<void>) =>
    Promise.all(
      [...live].map(async (i) => {
        try {
          await step(i)
        } catch (error) {
          await fail(i, error)
        }
      }),
    )
  const syncEach = async (dirs: Iterable<string>) => {
    await Promise.all([...new Set(dirs)].map((dir) => fsyncDir(dir)))
  }
  await Promise.all(
    [...new Set([...live].map((i) => path.dirname(paths[i].dst)))].map((dir) => fs.mkdir(dir, {recursive: true})),
  )
  const entry: BatchEntry = {
    id,
    moves: [...live].map((i) => items[i].entry),
    op: BATCH_OP,
    phase: 'move',
    pid: process.pid,
    schema: 1,
    started_at: new Date().toISOString(),
  }
  await writeEntry(ctx.journalDir, entry)
  try {
    await at('journaled')
    await each(async (i) => {
      const {copy, staging} = paths[i]
      await Promise.all([fs.rm(staging, {force: true, recursive: true}), fs.rm(copy, {force: true, recursive: true})])
      await fs.mkdir(staging)
      await items[i].stage(staging, () => at('staging'))
      for (const dir of stagingDirs(staging, items[i].entry)) await fsyncDir(dir)
    })
    await syncEach([...live].map((i) => path.dirname(paths[i].staging)))
    await at('staged')
    await each((i) => fs.rename(paths[i].src, paths[i].dst))
    await syncEach([...live].flatMap((i) => [path.dirname(paths[i].dst), path.dirname(paths[i].src)]))
    await at('committed')
    const touched: string[] = []
    await each((i) => finishMove(paths[i].staging, paths[i].dst, items[i].entry, async (dir) => void touched.push(dir)))
    await syncEach(touched)
    await at('finished')
  } catch (error) {
    // a step of the whole batch failed (a folder's fsync): every move still going is put back or finished
    for (const i of live) await fail(i, error)
  }
  // a move that could not be put back keeps an entry of its own, which blocks only that move
  for (const move of stuck) await writeEntry(ctx.journalDir, move)
  await removeEntry(ctx.journalDir, id)
  return results
}

/**
 * An interrupted batch: every move it lists recovered as a single move would be. One that cannot be is given an
 * entry of its own (kept for the next exp command, blocking only that move); the batch's entry can then go.
 */
export async function recoverBatch(
  ctx: MoveContext,
  entry: BatchEntry,
): Promise<
  Array<{action: Awaited<ReturnType<typeof recoverMove>>; move: MoveEntry} | {error: unknown; move: MoveEntry}>
> {
  const out: Array<
    {action: Awaited<ReturnType<typeof recoverMove>>; move: MoveEntry} | {error: unknown; move: MoveEntry}
  > = []
  for (const move of entry.moves) {
    try {
      out.push({action: await recoverMove(ctx, move), move})
    } catch (error) {
      await writeEntry(ctx.journalDir, move)
      out.push({error, move})
    }
  }
  return out
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import type {BatchResult} from '../lib/journaled-move-batch.js'
import {journaledMove, type MoveEntry, type MoveHooks, type MoveOutcome, type StageFn} from '../lib/journaled-move.js'
import type {Workspace} from '../workspace/workspace.js'

/**
 * An experiment's move between experiments/ and the archive: the journaled move of lib/journaled-move.ts (the order
 * of its steps and its recovery are described there) in this workspace, with one check of its own across
 * filesystems — the copy's committed checkpoints match their manifests before the source may go. Its recovery is
 * registered for the operations below in src/recovery-handlers.ts.
 */
export type MoveOp = 'archive' | 'restore'

export interface ExperimentMove extends MoveEntry {
  op: MoveOp
}

export {copyFileDurable, writeStaged} from '../lib/journaled-move-verify.js'
export {
  exists,
  type MoveEntry,
  type MoveHooks,
  moveId,
  type MovePoint,
  siblingsOf,
  type StagedFile,
} from '../lib/journaled-move.js'

export function moveContext(ws: Workspace): {journalDir: string; root: string} {
  return {journalDir: ws.paths.journal, root: ws.root}
}

export async function moveExperiment(
  ws: Workspace,
  entry: ExperimentMove,
  stage: StageFn,
  hooks: MoveHooks = {},
): Promise<MoveOutcome> {
  return journaledMove(moveContext(ws), entry, stage, {verify: verifyCheckpointManifests, ...hooks})
}

/** How many moves one journal entry (and one fsync of each folder per step) covers. */
export const BATCH_SIZE = 64

/**
 * Several experiments moved in batches (lib/journaled-move-batch.ts) when source and destination share a
 * filesystem; otherwise one at a time (copied and verified). One result per item, in order; `onBatch` after each.
 */
export async function moveExperiments(
  ws: Workspace,
  items: Array<{entry: ExperimentMove; stage: StageFn}>,
  options: {hooks?: MoveHooks; onBatch?: (results: BatchResult[], from: number) => void} = {},
): Promise<BatchResult[]> {
  const results: BatchResult[] = []
  if (items.length === 0) return results
  const {journaledMoveBatch} = await import('../lib/journaled-move-batch.js')
  const device = async (p: string) => (await fs.stat(p)).dev
  const dst = path.dirname(path.resolve(ws.root, items[0].entry.dst))
  await fs.mkdir(dst, {recursive: true})
  const oneFilesystem =
    !options.hooks?.rename &&
    (await device(path.dirname(path.resolve(ws.root, items[0].entry.src)))) === (await device(dst))
  for (let from = 0; from < items.length; from += oneFilesystem ? BATCH_SIZE : 1) {
    const batch = items.slice(from, from + (oneFilesystem ? BATCH_SIZE : 1))
    const done = oneFilesystem
      ? await journaledMoveBatch(moveContext(ws), `batch-${batch[0].entry.name}`, batch, options.hooks)
      : [
          await moveExperiment(ws, batch[0].entry, batch[0].stage, options.hooks).then(
            (outcome): BatchResult => ({ok: true, outcome}),
            (error): BatchResult => ({error, ok: false}),
          ),
        ]
    results.push(...done)
    options.onBatch?.(done, from)
  }
  return results
}

/** The copy's committed checkpoints match their manifests (every sha256) before the source may go. */
async function verifyCheckpointManifests(src: string, copy: string): Promise<void> {
  const {committedCheckpointProblems} = await import('../checkpoints/check.js')
  const problems = await committedCheckpointProblems(copy)
  if (problems.length === 0) return
  const more = problems.length > 1 ? ` and ${problems.length - 1} more` : ''
  throw new ExpError(
    `the copy of ${src} does not match its checkpoint manifest (${problems[0]}${more}; exp verify); nothing was removed.`,
    {code: 'VERIFY_FAILED'},
  )
}

import {ExpError} from '../errors.js'
import {journaledMove, type MoveEntry, type MoveHooks, type MoveOutcome} from '../lib/journaled-move.js'
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

export {copyFileDurable} from '../lib/journaled-move-verify.js'
export {exists, type MoveEntry, type MoveHooks, moveId, type MovePoint, siblingsOf, type StagedFile, writeStaged} from '../lib/journaled-move.js'

export function moveContext(ws: Workspace): {journalDir: string; root: string} {
  return {journalDir: ws.paths.journal, root: ws.root}
}

export async function moveExperiment(
  ws: Workspace,
  entry: ExperimentMove,
  stage: (stagingDir: string, midway: () => void | Promise<void>) => Promise<void>,
  hooks: MoveHooks = {},
): Promise<MoveOutcome> {
  return journaledMove(moveContext(ws), entry, stage, {verify: verifyCheckpointManifests, ...hooks})
}

/** The copy's committed checkpoints match their manifests (every sha256) before the source may go. */
async function verifyCheckpointManifests(src: string, copy: string): Promise<void> {
  const {committedCheckpointProblems} = await import('../checkpoints/check.js')
  const problems = await committedCheckpointProblems(copy)
  if (problems.length === 0) return
  const more = problems.length > 1 ? ` and ${problems.length - 1} more` : ''
  throw new ExpError(`the copy of ${src} does not match its checkpoint manifest (${problems[0]}${more}; exp verify); nothing was removed.`, {code: 'VERIFY_FAILED'})
}

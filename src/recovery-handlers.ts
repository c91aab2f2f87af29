import {existsSync} from 'node:fs'

import {messageOf} from './errors.js'
import type {FileSetEntry} from './lib/file-set.js'
import type {BatchEntry} from './lib/journaled-move-batch.js'
import type {MoveEntry, RecoveryAction} from './lib/journaled-move.js'
import {registerRecovery} from './workspace/recovery.js'
import {relativeToRoot, type Workspace} from './workspace/workspace.js'

/**
 * The recovery of every journaled operation, registered with workspace/recovery.ts (which names none). Loaded when
 * recovery finds a journal entry (base-command.ts names it: workspace/recovery-hook.ts); each handler's code is
 * loaded only when an entry of its operation is found. A new journaled operation adds its line here.
 */

/**
 * the batch's operations (lib/journaled-move-batch.ts: today's, and that of batches before their shared staging
 * folder), typed against it; the module itself loads only when needed
 */
const BATCH_OPS: Array<BatchEntry['op']> = ['move-batch-shared', 'move-batch']

const moving = (entry: {op: string}) => (entry.op === 'archive' ? 'archiving' : 'restoring')

/** The line for one experiment's move, as its recovery left it. */
async function moveLine(ws: Workspace, move: MoveEntry, action: RecoveryAction): Promise<string> {
  const [{moveContext}, {movePaths}] = await Promise.all([
    import('./archive/move.js'),
    import('./lib/journaled-move.js'),
  ])
  const {copy, src, staging} = movePaths(moveContext(ws), move)
  if (action === 'finished') return `finished the interrupted ${moving(move)} of ${move.name}: it is in ${move.dst}.`
  if (action === 'rolled-back')
    return `rolled back the interrupted ${moving(move)} of ${move.name}: it is still in ${relativeToRoot(ws, src)}.`
  const left = [copy, staging].filter((p) => existsSync(p)).map((p) => relativeToRoot(ws, p))
  const kept = left.length > 0 ? `; kept for you to look at: ${left.join(', ')}` : ''
  return `the interrupted ${moving(move)} of ${move.name} found it in neither ${move.src} nor ${move.dst}${kept}.`
}

registerRecovery(['archive', 'restore'], async () => {
  const [{moveContext}, {recoverMove}] = await Promise.all([
    import('./archive/move.js'),
    import('./lib/journaled-move.js'),
  ])
  return {
    what: (entry) => `the interrupted ${moving(entry)} of ${(entry as MoveEntry).name}`,
    recover: async (ws, entry) =>
      moveLine(ws, entry as MoveEntry, await recoverMove(moveContext(ws), entry as MoveEntry)),
  }
})

// archiving in batches: each move of the batch recovered on its own, one line each
registerRecovery(BATCH_OPS, async () => {
  const [{moveContext}, {recoverBatch}] = await Promise.all([
    import('./archive/move.js'),
    import('./lib/journaled-move-batch.js'),
  ])
  return {
    what: (entry) => `the interrupted batch ${entry.id}`,
    async recover(ws, entry) {
      const lines: string[] = []
      for (const r of await recoverBatch(moveContext(ws), entry as BatchEntry)) {
        if ('action' in r) lines.push(await moveLine(ws, r.move, r.action))
        else
          lines.push(
            `could not recover the interrupted ${moving(r.move)} of ${r.move.name}: ${messageOf(r.error)} (journal entry kept).`,
          )
      }
      return lines
    },
  }
})

registerRecovery(['adopt'], async () => {
  const {recoverAdopt} = await import('./curate/adopt-step.js')
  return {
    what: (entry) => `the interrupted adopt of ${(entry as MoveEntry).src}`,
    async recover(ws, entry) {
      const adopt = entry as import('./curate/adopt-step.js').AdoptEntry
      const action = await recoverAdopt(ws, adopt)
      if (action === 'finished')
        return `finished the interrupted adopt of ${adopt.src}: it is ${adopt.dst}/config.yaml.`
      if (action === 'rolled-back') return `rolled back the interrupted adopt of ${adopt.src}: it is still there.`
      return `the interrupted adopt of ${adopt.src} found it in neither ${adopt.src} nor ${adopt.dst}.`
    },
  }
})

// a promotion or rollback: its files all written (committed) or none (not yet committed)
registerRecovery(['promote', 'rollback'], async () => {
  const {recoverFileSet} = await import('./lib/file-set.js')
  return {
    what: (entry) => (entry as FileSetEntry).what ?? entry.id,
    async recover(ws, entry) {
      const files = entry as FileSetEntry
      const action = await recoverFileSet(ws.root, files)
      return action === 'finished'
        ? `finished ${files.what}, interrupted after its commit point.`
        : `rolled back ${files.what}, interrupted before its commit point: nothing of it was written.`
    },
  }
})

import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {METADATA_FILE} from '../experiments/scan.js'
import {commitFileSet} from '../lib/file-set.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import type {Direction} from '../reports/metric.js'
import {historyPath, keptVersions, resolveProductionFile, ROLLED_BACK} from './history.js'
import {readIfExists} from '../lib/read-if-exists.js'
import {HISTORY_DIR} from './plan.js'
import {splitProvenance} from './provenance.js'
import {isInForce, metadataWrite, readMetadataRecord} from './records.js'

export interface RollbackOptions {
  /** the production file: a path, or a file name in productionDir */
  file: string
  productionDir: string
  cwd: string
  dryRun: boolean
  now: Clock
}

export interface RollbackResult {
  target: string
  /** the kept version put back in place */
  restored: string
  /** where the version that was in place is kept (null when there was none) */
  kept_current_as: string | null
  /** the experiment whose promotion was undone, as the provenance of the replaced version names it */
  experiment: string | null
  /** whether that experiment's promotion entry in metadata.json was marked rolled_back_at */
  metadata_marked: boolean
  /** the leaderboard its row was removed from (null: none, or the experiment has another promotion in force) */
  leaderboard: string | null
  written: boolean
}

type Write = {file: string; data: string}

/**
 * Put the newest kept version of a production file back in place. The version being replaced is kept as
 * `<stem>.<stamp>.rolled-back<ext>` (never restored by a later rollback, so rolling back again goes one more version
 * back), the promotion it came from is marked `rolled_back_at` in its experiment's metadata.json, and its leaderboard
 * row is removed (unless another promotion of that experiment is still in force): one journaled step, all or none.
 */
export async function rollbackProduction(ws: Workspace, options: RollbackOptions): Promise<RollbackResult> {
  const target = resolveProductionFile(options.file, options.productionDir, options.cwd)
  const rel = relativeToRoot(ws, target)
  const run = async (): Promise<RollbackResult> => {
    const [newest] = await keptVersions(target)
    if (!newest) {
      throw new ExpError(
        `no previous version of ${rel} in ${relativeToRoot(ws, path.join(path.dirname(target), HISTORY_DIR))}/ to put back (a first promotion has none: remove the file to undo it).`,
        {
          code: 'NO_HISTORY',
        },
      )
    }
    const current = await readIfExists(target)
    const provenance = current === undefined ? undefined : splitProvenance(current).provenance
    const now = options.now()
    const keep = current === undefined ? undefined : historyPath(target, now, ROLLED_BACK)
    const result: RollbackResult = {
      experiment: provenance?.experiment ?? null,
      kept_current_as: keep === undefined ? null : relativeToRoot(ws, keep),
      leaderboard: null,
      metadata_marked: false,
      restored: relativeToRoot(ws, newest),
      target: rel,
      written: !options.dryRun,
    }
    if (options.dryRun) return result
    const writes: Write[] = keep === undefined ? [] : [{data: current!, file: keep}]
    writes.push({data: await fs.readFile(newest, 'utf8'), file: target})
    const marked = provenance?.experiment
      ? await markRolledBack(ws, provenance.experiment, rel, provenance.config_sha256, now)
      : undefined
    if (marked) writes.push(...marked.writes)
    await commitFileSet(ws.paths.journal, ws.root, {
      op: 'rollback',
      removes: [newest],
      what: `the rollback of ${rel}`,
      writes,
    })
    return {...result, leaderboard: marked?.leaderboard ?? null, metadata_marked: marked !== undefined}
  }
  return options.dryRun ? run() : withWorkspaceLock(ws, run, {command: 'promote --rollback'})
}

/** The newest matching promotion in the experiment's metadata.json, marked; its leaderboard row removed. */
async function markRolledBack(
  ws: Workspace,
  experiment: string,
  target: string,
  sha: string | undefined,
  now: Date,
): Promise<{writes: Write[]; leaderboard: string | null} | undefined> {
  // the name comes from a file's comment: never let it point outside the experiment folders
  if (experiment === '' || experiment.includes('/') || experiment.includes('\\') || experiment.startsWith('.'))
    return undefined
  for (const dir of [path.join(ws.paths.experiments, experiment), path.join(ws.paths.archive, experiment)]) {
    if (!existsSync(path.join(dir, METADATA_FILE))) continue
    const record = await readMetadataRecord(ws, dir).catch(() => undefined)
    const index = record ? record.promotions.findLastIndex((p) => isInForce(p, target, sha)) : -1
    if (!record || index === -1) continue
    const promotions = record.promotions.map((p, i) => (i === index ? {...p, rolled_back_at: now.toISOString()} : p))
    const writes = [metadataWrite(record, promotions)]
    const entry = record.promotions[index]
    const stillPromoted = promotions.some(
      (p) => p && typeof p === 'object' && typeof p.target === 'string' && !p.rolled_back_at,
    )
    // a promotion made with --no-update-leaderboard (leaderboard: null) put no row anywhere
    const board =
      stillPromoted || entry.leaderboard === null
        ? undefined
        : await rowRemoval(ws, experiment, entry.leaderboard, entry.direction === 'max' ? 'max' : 'min')
    if (board) writes.push(board)
    return {leaderboard: board ? relativeToRoot(ws, board.file) : null, writes}
  }
  return undefined
}

/** The leaderboard the promotion went to (as its entry records it, when inside the workspace; else the shared one), without the experiment's row. */
async function rowRemoval(
  ws: Workspace,
  experiment: string,
  recorded: unknown,
  direction: Direction,
): Promise<Write | undefined> {
  const lb = await import('../leaderboard/leaderboard.js')
  const inside =
    typeof recorded === 'string' &&
    recorded.endsWith('.csv') &&
    !relativeToRoot(ws, path.resolve(ws.root, recorded)).startsWith('/')
  const file = inside ? path.resolve(ws.root, recorded) : lb.leaderboardPath(ws, undefined, ws.root)
  const board = await lb.readLeaderboard(file)
  if (!board.rows.some((r) => r.experiment === experiment)) return undefined
  return {data: await lb.leaderboardText(lb.withoutExperiment(board, experiment, direction)), file}
}

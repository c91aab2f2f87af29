import path from 'node:path'

import {ExpError} from '../errors.js'
import {commitFileSet} from '../lib/file-set.js'
import {sha256} from '../lib/hash.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {historyPath} from './history.js'
import {readIfExists} from '../lib/read-if-exists.js'
import {
  conflictMessage,
  type ExecuteOptions,
  outcome,
  type PromotionOutcome,
  summary,
  unchangedMessage,
} from './outcome.js'
import type {PromotionPlan} from './plan.js'
import {provenanceHeader, splitProvenance} from './provenance.js'
import {isInForce, type MetadataRecord, metadataWrite, type PromotionEntry, readMetadataRecord} from './records.js'

type LeaderboardModule = typeof import('../leaderboard/leaderboard.js')
type Board = import('../leaderboard/leaderboard.js').Leaderboard

/**
 * Execute plans one after another under ONE hold of the workspace lock. A plan that cannot be carried out (its
 * target changed to different content without --force, its source changed) is `refused` and the others go on;
 * callers that promote one experiment turn a refusal into an error.
 */
export async function executePromotions(
  ws: Workspace,
  plans: PromotionPlan[],
  options: ExecuteOptions,
): Promise<PromotionOutcome[]> {
  if (plans.length === 0) return []
  return withWorkspaceLock(
    ws,
    async () => {
      const out: PromotionOutcome[] = []
      for (const plan of plans) {
        try {
          out.push(await executeOne(ws, plan, options))
        } catch (error) {
          if (!(error instanceof ExpError)) throw error
          out.push(outcome(ws, plan, 'refused', false, error.message, null, null))
        }
      }
      return out
    },
    {command: 'promote'},
  )
}

/**
 * One promotion: everything is read again under the lock (another process may have promoted, archived or edited
 * since planning), then the kept version, the production file, metadata.json and the leaderboard are written as
 * one journaled step (lib/file-set.ts): after a crash, recovery finishes all of them or none.
 */
async function executeOne(ws: Workspace, planned: PromotionPlan, options: ExecuteOptions): Promise<PromotionOutcome> {
  let plan = planned
  let source = await readIfExists(plan.source)
  if (source === undefined) {
    // archived (or restored) while this promotion waited for the lock: it is promoted where it now is
    const moved = relocated(ws, plan)
    const there = moved === undefined ? undefined : await readIfExists(moved.source)
    if (there !== undefined) [plan, source] = [moved!, there]
  }
  if (source === undefined)
    throw new ExpError(
      `${relativeToRoot(ws, plan.source)} is gone (moved or archived since it was checked); run exp promote again.`,
      {code: 'CHANGED'},
    )
  if (sha256(source) !== plan.config_sha256)
    throw new ExpError(
      `${relativeToRoot(ws, plan.source)} changed while it was being promoted; run exp promote again.`,
      {code: 'CHANGED'},
    )
  const current = await readIfExists(plan.target)
  const split = current === undefined ? undefined : splitProvenance(current)
  const identical = split !== undefined && split.body === plan.configText
  if (current !== undefined && !identical && !options.force)
    throw new ExpError(conflictMessage(ws, plan), {code: 'TARGET_EXISTS'})

  const record = await readMetadataRecord(ws, plan.dir)
  const lb = options.leaderboard === null ? undefined : await import('../leaderboard/leaderboard.js')
  // read (and refuse a broken or differently ranked) leaderboard before writing anything
  const board = lb ? await lb.readLeaderboard(options.leaderboard!) : undefined
  if (board) lb!.checkBoardMetric(board, plan.metric)
  const now = options.now()
  const target = relativeToRoot(ws, plan.target)
  if (identical) {
    // only exp's own file naming this experiment is repaired: a hand-made copy or another experiment's is left as is
    if (split!.provenance?.experiment !== plan.experiment)
      return outcome(ws, plan, 'unchanged', false, unchangedMessage(ws, plan), null, null)
    return repair(ws, plan, {board, lb, now, options, record, target})
  }

  const historyFile = current === undefined ? undefined : historyPath(plan.target, now)
  const entry = newEntry(ws, plan, options, now, historyFile === undefined ? null : relativeToRoot(ws, historyFile))
  const writes = historyFile === undefined ? [] : [{data: current!, file: historyFile}]
  writes.push(
    {data: provenanceHeader(ws, plan, now) + plan.configText, file: plan.target},
    metadataWrite(record, [...record.promotions, entry]),
  )
  if (board) writes.push(await rowWrite(lb!, board, plan, entry))
  await commitFileSet(ws.paths.journal, ws.root, {
    op: 'promote',
    what: `the promotion of ${plan.experiment} to ${target}`,
    writes,
  })
  const action = current === undefined ? 'create' : 'replace'
  const kept = historyFile === undefined ? '' : `; the previous version is kept as ${relativeToRoot(ws, historyFile)}`
  return outcome(
    ws,
    plan,
    action,
    true,
    `Promoted ${summary(ws, plan)}${kept}`,
    entry.replaced as string | null,
    options.leaderboard,
  )
}

/** The plan of an experiment that moved between experiments/ and the archive since it was planned. */
function relocated(ws: Workspace, plan: PromotionPlan): PromotionPlan | undefined {
  for (const [from, to] of [
    [ws.paths.experiments, ws.paths.archive],
    [ws.paths.archive, ws.paths.experiments],
  ]) {
    const rel = path.relative(from, plan.dir)
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue
    const dir = path.join(to, rel)
    return {...plan, dir, source: path.join(dir, path.relative(plan.dir, plan.source))}
  }
  return undefined
}

interface RepairContext {
  record: MetadataRecord
  board?: Board
  lb?: LeaderboardModule
  target: string
  now: Date
  options: ExecuteOptions
}

/**
 * The production file already holds this experiment's config: record what is missing (a promotion killed before
 * it was journaled, by an older exp, or a row removed by hand): the metadata.json entry, the leaderboard row.
 */
async function repair(ws: Workspace, plan: PromotionPlan, c: RepairContext): Promise<PromotionOutcome> {
  const inForce = c.record.promotions.find((p) => isInForce(p, c.target, plan.config_sha256))
  const hasRow = !c.board || c.board.rows.some((r) => r.experiment === plan.experiment && r.config === c.target)
  if (inForce && hasRow) return outcome(ws, plan, 'unchanged', false, unchangedMessage(ws, plan), null, null)
  const entry = inForce ?? {
    ...newEntry(ws, plan, c.options, c.now, null),
    recorded_by: 'repair: the production file held this config without this record',
  }
  const writes = inForce ? [] : [metadataWrite(c.record, [...c.record.promotions, entry])]
  if (!hasRow) writes.push(await rowWrite(c.lb!, c.board!, plan, entry))
  const what = [inForce ? '' : 'the metadata.json entry', hasRow ? '' : 'the leaderboard row']
    .filter(Boolean)
    .join(' and ')
  await commitFileSet(ws.paths.journal, ws.root, {
    op: 'promote',
    what: `the record of the promotion of ${plan.experiment} to ${c.target}`,
    writes,
  })
  const message = `${c.target} already holds the config of ${plan.experiment}; recorded what was missing: ${what}.`
  return outcome(ws, plan, 'repaired', true, message, null, hasRow ? null : c.options.leaderboard)
}

/** The metadata.json `promotions` entry of a promotion done now. */
function newEntry(
  ws: Workspace,
  plan: PromotionPlan,
  options: ExecuteOptions,
  now: Date,
  replaced: string | null,
): PromotionEntry {
  return {
    checkpoint: plan.checkpoint,
    config_sha256: plan.config_sha256,
    direction: plan.direction,
    leaderboard: options.leaderboard === null ? null : relativeToRoot(ws, options.leaderboard),
    metric: plan.metric,
    promoted_at: now.toISOString(),
    replaced,
    report: plan.report,
    target: relativeToRoot(ws, plan.target),
    threshold: plan.threshold,
    value: plan.value,
  }
}

async function rowWrite(
  lb: LeaderboardModule,
  board: Board,
  plan: PromotionPlan,
  entry: PromotionEntry,
): Promise<{file: string; data: string}> {
  const row = {
    config: entry.target as string,
    experiment: plan.experiment,
    gates_passed: true,
    metric: plan.metric,
    metrics: plan.metrics,
    params: plan.params,
    promoted_at: entry.promoted_at as string,
    value: plan.value,
  }
  return {data: await lb.leaderboardText(lb.upsertEntry(board, row, plan.direction)), file: board.file}
}

import path from 'node:path'

import type {Rule, Status} from '../classify/classify.js'
import {EXIT, isExpError, messageOf} from '../errors.js'
import {METADATA_FILE} from '../experiments/scan.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import type {StageFn} from '../lib/journaled-move.js'
import {
  copyFileDurable,
  type ExperimentMove,
  type MoveHooks,
  moveExperiments,
  moveId,
  siblingsOf,
  type StagedFile,
  writeStaged,
} from './move.js'
import {type PlannedArchive, type PlannedReport, type PlanOptions, resolveNames, selectForArchive} from './plan.js'
import {archivedMetadata} from './record.js'

/** Archiving, step three: the selected experiments moved, under the workspace lock (plan.ts selects, record.ts writes). */

export {
  type ArchivePlan,
  type ContentEntry,
  describeContents,
  expandChoices,
  planArchive,
  type PlannedArchive,
} from './plan.js'
export {type ArchiveRecord, readOwnMetadata} from './record.js'

export type ArchiveOutcome = 'archived' | 'skipped' | 'failed'

export interface ArchiveItemResult extends Omit<PlannedArchive, 'rule' | 'status'> {
  /** null when it is no longer in experiments/ */
  status: Status | null
  rule: Rule | null
  outcome: ArchiveOutcome
  error?: string
  /** the copies of workspace reports, with their sha256 (as recorded in the archive metadata) */
  copied?: Array<PlannedReport & {sha256: string; bytes: number}>
  cross_device?: boolean
}

export interface ArchiveResult {
  results: ArchiveItemResult[]
  summary: {archived: number; skipped: number; failed: number}
  /** steps of an earlier, interrupted exp that were finished or rolled back first */
  recovered: string[]
  duration_ms: number
}

export interface ArchiveOptions extends PlanOptions {
  /** only these (the names a person confirmed); others newly selected since are left alone */
  confirmed?: string[]
  onStart?: (total: number) => void
  onItem?: (result: ArchiveItemResult, done: number, total: number) => void
  hooks?: MoveHooks
}

/**
 * Archive the selected experiments, holding the workspace lock for the whole run (selection included, so what is
 * archived is what the statuses say at that moment). Each experiment is one journaled move; one that fails does not
 * stop the others.
 */
export async function archiveExperiments(ws: Workspace, options: ArchiveOptions): Promise<ArchiveResult> {
  const started = Date.now()
  // a mistyped name fails before anything is touched (it is checked again under the lock)
  if (options.names && options.names.length > 0) {
    await resolveNames(ws, options.names)
    // every named experiment refused (active, or its place in the archive taken): say so and touch nothing, not even
    // the lock's folder (a refused command leaves no trace)
    const refused = await refusedWithoutLock(ws, options)
    if (refused)
      return {
        duration_ms: Date.now() - started,
        recovered: [],
        results: refused,
        summary: {archived: 0, failed: refused.length, skipped: 0},
      }
  }
  const done = await withWorkspaceLock(ws, async (recovered) => {
    for (const line of recovered) options.log?.(line)
    const {all, plan} = await selectForArchive(ws, options)
    let items = plan.items
    const results: ArchiveItemResult[] = []
    if (options.confirmed) {
      const wanted = new Set(options.confirmed)
      items = items.filter((i) => wanted.has(i.name))
      for (const name of options.confirmed) {
        if (!items.some((i) => i.name === name)) {
          const now = all.find((c) => c.snapshot.name === name)?.classification
          const why = now
            ? `its status is now ${now.status} (${now.reason})`
            : `it is no longer in ${relativeToRoot(ws, ws.paths.experiments)}/`
          results.push({
            ...unselected(ws, name),
            error: `not archived: ${why}, since it was confirmed.`,
            reason: now?.reason ?? '',
            rule: now?.rule ?? null,
            status: now?.status ?? null,
          })
        }
      }
    }
    const total = items.length + results.length
    options.onStart?.(total)
    for (const r of results) options.onItem?.(r, results.indexOf(r) + 1, total)
    // results in the plan's order; progress as each is known (refused ones at once, moves batch by batch)
    const known = new Map<string, ArchiveItemResult>()
    const report = (r: ArchiveItemResult) => {
      known.set(r.name, r)
      options.onItem?.(r, results.length + known.size, total)
    }
    for (const item of items) if (item.refused) report({...item, error: item.refused, outcome: 'failed'})
    const moves = items.filter((item) => !item.refused).map((item) => archiveMove(ws, item, options.now()))
    await moveExperiments(ws, moves, {
      hooks: options.hooks,
      onBatch(done, from) {
        for (const [k, r] of done.entries()) {
          const {copied, item} = moves[from + k]
          if (!r.ok && isExpError(r.error) && r.error.exit !== EXIT.failure) throw r.error
          report(
            r.ok
              ? {...item, copied, cross_device: r.outcome.crossDevice, outcome: 'archived'}
              : {...item, error: messageOf(r.error), outcome: 'failed'},
          )
        }
      },
    })
    results.push(...items.map((item) => known.get(item.name)!))
    const count = (o: ArchiveOutcome) => results.filter((r) => r.outcome === o).length
    return {
      duration_ms: Date.now() - started,
      recovered,
      results,
      summary: {archived: count('archived'), failed: count('failed'), skipped: count('skipped')},
    }
  })
  // reports/index.html, when there is one, shows the experiments where they now are
  if (done.summary.archived > 0)
    await (await import('../report/service.js')).refreshIndexAfterChange(ws, options.now, options.log)
  return done
}

async function refusedWithoutLock(ws: Workspace, options: ArchiveOptions): Promise<ArchiveItemResult[] | undefined> {
  if (options.confirmed) return undefined
  const {items} = (await selectForArchive(ws, options)).plan
  if (items.length === 0 || !items.every((i) => i.refused)) return undefined
  const results = items.map((item) => ({...item, error: item.refused, outcome: 'failed' as const}))
  options.onStart?.(results.length)
  for (const [i, r] of results.entries()) options.onItem?.(r, i + 1, results.length)
  return results
}

function unselected(ws: Workspace, name: string): Omit<ArchiveItemResult, 'reason' | 'rule' | 'status'> {
  return {
    bytes: 0,
    destination: relativeToRoot(ws, path.join(ws.paths.archive, name)),
    files: 0,
    from: relativeToRoot(ws, path.join(ws.paths.experiments, name)),
    name,
    outcome: 'skipped',
    reports: [],
  }
}

/** One experiment's move into the archive: its journal entry, and the files staged to arrive with it. */
function archiveMove(
  ws: Workspace,
  item: PlannedArchive,
  now: Date,
): {copied: NonNullable<ArchiveItemResult['copied']>; entry: ExperimentMove; item: PlannedArchive; stage: StageFn} {
  const src = path.join(ws.paths.experiments, item.name)
  const dst = path.join(ws.paths.archive, item.name)
  const staged: StagedFile[] = [
    ...item.reports.map((r) => ({from: r.to, to: r.to})),
    {from: METADATA_FILE, replace: true, to: METADATA_FILE},
  ]
  const entry: ExperimentMove = {
    copy: relativeToRoot(ws, siblingsOf(dst).copy),
    staging: relativeToRoot(ws, siblingsOf(dst).staging),
    dst: item.destination,
    id: moveId(item.name),
    name: item.name,
    op: 'archive',
    phase: 'move',
    pid: process.pid,
    schema: 1,
    src: item.from,
    staged,
    started_at: now.toISOString(),
  }
  const copied: NonNullable<ArchiveItemResult['copied']> = []
  const stage: StageFn = async (place, midway) => {
    for (const r of item.reports) {
      const from = path.resolve(ws.root, r.from)
      copied.push({...r, ...(await copyFileDurable(from, place(r.to)))})
    }
    await midway()
    await writeStaged(place(METADATA_FILE), await archivedMetadata(src, item, copied, now))
  }
  return {copied, entry, item, stage}
}

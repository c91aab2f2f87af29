import {EXIT, ExpError} from '../errors.js'
import type {ListResult} from '../experiments/listing.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {
  type ArchiveItemResult,
  type ArchivePlan,
  type ArchiveResult,
  archiveExperiments,
  planArchive,
} from './archive.js'
import type {ArchiveChoice} from './choices.js'
import * as render from './render.js'

export type ArchiveCommandResult = ArchiveResult | (ArchivePlan & {dry_run: true}) | (ListResult & {list_only: true})

/** `exp archive`'s flags as parsed, and how the command talks to the person (lines, the question, progress). */
export interface ArchiveRequest {
  names: string[]
  status?: ArchiveChoice[]
  olderThanMs?: number
  dryRun: boolean
  listOnly: boolean
  yes: boolean
  now: Clock
  log(line: string): void
  note(line: string): void
  /** the plan is shown and the person asked (or refused without a terminal); throws when cancelled */
  confirm(list: string, count: number): Promise<void>
  progress?: {item(r: ArchiveItemResult, done: number): void; start(total: number): void; stop(): void}
}

/** `exp archive`: --list-only, --dry-run, or plan → confirm (unless --yes) → archive; the exit code with the result. */
export async function archiveRequest(
  ws: Workspace,
  r: ArchiveRequest,
): Promise<{exit: number; result: ArchiveCommandResult}> {
  const choice = r.status ? '--status' : r.olderThanMs === undefined ? undefined : '--older-than'
  if (r.names.length > 0 && choice)
    throw new ExpError(`name experiments or choose ${choice}, not both.`, {code: 'USAGE', exit: EXIT.usage})
  const selection = {log: r.note, names: r.names, now: r.now, olderThanMs: r.olderThanMs, status: r.status}
  if (r.listOnly) {
    const list = await (await import('../experiments/listing.js')).listExperiments(ws, {now: r.now})
    r.log(render.renderListOnly(list, ws.settings.promote.metric))
    return {exit: EXIT.ok, result: {...list, list_only: true}}
  }
  let confirmed: string[] | undefined
  if (r.dryRun || !r.yes) {
    const plan = await planArchive(ws, {...selection, contents: r.dryRun})
    if (r.dryRun) {
      r.log(render.renderPlan(plan))
      return {exit: plan.items.some((i) => i.refused) ? EXIT.failure : EXIT.ok, result: {...plan, dry_run: true}}
    }
    if (plan.items.length === 0) {
      r.log(`Nothing to archive. ${render.renderSummaryLine(plan.summary)}`)
      return {
        exit: EXIT.ok,
        result: {duration_ms: 0, recovered: [], results: [], summary: {archived: 0, failed: 0, skipped: 0}},
      }
    }
    const n = plan.items.filter((i) => !i.refused).length
    if (n > 0) await r.confirm(render.renderConfirmList(plan.items), n)
    confirmed = plan.items.map((i) => i.name)
  }
  const result = await archiveExperiments(ws, {
    ...selection,
    confirmed,
    onItem: (x, done) => r.progress?.item(x, done),
    onStart: (n) => r.progress?.start(n),
  })
  r.progress?.stop()
  if (result.results.length === 0) r.log('Nothing to archive.')
  r.log(render.renderArchiveSummary(result))
  return {exit: result.summary.failed > 0 ? EXIT.failure : EXIT.ok, result}
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {Rule, Status} from '../classify/classify.js'
import {EXIT, ExpError, isExpError, messageOf} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {listExperimentNames, resolveName} from '../experiments/resolve.js'
import {METADATA_FILE, REPORTS_DIR} from '../experiments/scan.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {packageVersion} from '../lib/package.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {ARCHIVABLE, type ArchiveChoice} from './choices.js'
import {copyFileDurable, type MoveEntry, type MoveHooks, moveExperiment, moveId, siblingsOf, type StagedFile, writeStaged} from './move.js'


export interface ArchiveSelection {
  /** experiments named by a person (full directory name or unique name without date) */
  names?: string[]
  /** otherwise: these statuses (default all) */
  status?: ArchiveChoice[]
  /** and only those whose last activity (newest file change) is older than this many milliseconds */
  olderThanMs?: number
}

export interface PlannedReport {
  /** the workspace report, workspace-relative */
  from: string
  /** where its copy goes, relative to the experiment directory */
  to: string
}

/** One selected experiment and what archiving it means. */
export interface PlannedArchive {
  name: string
  status: Status
  reason: string
  rule: Rule
  source?: string
  /** workspace-relative paths (absolute when outside the workspace) */
  from: string
  destination: string
  files: number
  bytes: number
  reports: PlannedReport[]
  /** why this experiment will not be archived (it then counts as failed) */
  refused?: string
  /** --dry-run: what goes with it, per top-level entry */
  contents?: ContentEntry[]
}

export interface ContentEntry {
  /** a file, or a folder ending in / */
  path: string
  files: number
  bytes: number
}

export interface ArchivePlan {
  items: PlannedArchive[]
  /** the statuses of every experiment in experiments/ (what --list-only and the summary show) */
  summary: Record<Status, number>
}

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

export interface PlanOptions extends ArchiveSelection {
  now: Clock
  /** describe each experiment's files (for --dry-run) */
  contents?: boolean
  log?: (line: string) => void
}

export interface ArchiveOptions extends PlanOptions {
  /** only these (the names a person confirmed); others newly selected since are left alone */
  confirmed?: string[]
  onStart?: (total: number) => void
  onItem?: (result: ArchiveItemResult, done: number, total: number) => void
  hooks?: MoveHooks
}

/** The archive metadata.json: the experiment's own keys, kept, plus this object. */
export interface ArchiveRecord {
  status: Status
  reason: string
  rule: Rule
  source?: string
  archived_at: string
  original_path: string
  /** the experiment's files and bytes as they were when archived (before this record and the report copies) */
  file_count: number
  bytes: number
  reports: Array<PlannedReport & {sha256: string; bytes: number}>
  exp_version: string
  /** set by exp restore */
  restored_at?: string
  /** earlier archive records, when the experiment was archived, restored and archived again */
  previous?: unknown[]
  /** the original metadata.json text when it was not a JSON object (kept here rather than lost) */
  original_metadata_text?: string
}

export function expandChoices(choices: ArchiveChoice[] | undefined): Status[] {
  const list = choices && choices.length > 0 ? choices : ['all']
  return ARCHIVABLE.filter((s) => list.includes('all') || list.includes(s as ArchiveChoice))
}

/** Turn the names a person typed into directory names in experiments/; unknown, ambiguous or archived ones are errors. */
async function resolveNames(ws: Workspace, names: string[]): Promise<string[]> {
  const active = await listExperimentNames(ws, 'experiments')
  const archived = await listExperimentNames(ws, 'archive')
  const out: string[] = []
  for (const query of names) {
    let name: string
    try {
      name = resolveName(active, query).name
    } catch (error) {
      if (!isExpError(error) || error.code !== 'NOT_FOUND') throw error
      const there = archived.find((c) => c.name === query) ?? (() => {
        try {
          return resolveName(archived, query)
        } catch {
          return undefined
        }
      })()
      if (there) throw new ExpError(`"${query}" is already archived (${relativeToRoot(ws, path.join(ws.paths.archive, there.name))}); nothing was archived.`, {code: 'ALREADY_ARCHIVED'})
      throw new ExpError(`no experiment named "${query}" in ${relativeToRoot(ws, ws.paths.experiments)}/; nothing was archived.`, {code: 'NOT_FOUND', suggestion: 'exp list'})
    }
    if (!out.includes(name)) out.push(name)
  }
  return out
}

/** Select and describe; changes nothing. */
export async function planArchive(ws: Workspace, options: PlanOptions): Promise<ArchivePlan> {
  return (await selectForArchive(ws, options)).plan
}

async function selectForArchive(ws: Workspace, options: PlanOptions): Promise<{plan: ArchivePlan; all: Classified[]}> {
  const names = options.names && options.names.length > 0 ? await resolveNames(ws, options.names) : undefined
  const statuses = expandChoices(options.status)
  const all = await classifyWorkspace(ws, {location: 'experiments', log: options.log, now: options.now})
  const summary: Record<Status, number> = {active: 0, failed: 0, stale: 0, success: 0}
  for (const c of all) summary[c.classification.status]++
  const idleEnough = (c: Classified) => options.olderThanMs === undefined || options.now().getTime() - c.snapshot.lastModified > options.olderThanMs
  const selected = names ? names.map((n) => all.find((c) => c.snapshot.name === n)!).filter(Boolean) : all.filter((c) => statuses.includes(c.classification.status) && idleEnough(c))
  const items: PlannedArchive[] = []
  for (const {classification: c, snapshot: s} of selected) {
    const dst = path.join(ws.paths.archive, s.name)
    const item: PlannedArchive = {
      bytes: s.bytes,
      destination: relativeToRoot(ws, dst),
      files: s.fileCount,
      from: relativeToRoot(ws, s.dir),
      name: s.name,
      reason: c.reason,
      reports: await planReportCopies(ws, s.dir, s.reports.filter((r) => r.scope === 'workspace').map((r) => r.path)),
      rule: c.rule,
      source: c.source,
      status: c.status,
    }
    if (options.contents) item.contents = await describeContents(s.dir)
    if (c.status === 'active') item.refused = `it is active (${c.reason}); an active experiment is never archived.`
    else if (c.variants?.some((v) => v.classification.rule === 'live-run')) item.refused = `a variant is running (${c.variants.filter((v) => v.classification.rule === 'live-run').map((v) => v.name).join(', ')}); a sweep is archived only when no variant is active.`
    else if (await pathExists(dst)) item.refused = `${item.destination} already exists; it is never overwritten.`
    items.push(item)
  }
  return {all, plan: {items, summary}}
}

/** Copies of workspace reports go to the experiment's reports/ under their own name, never over a file there. */
async function planReportCopies(ws: Workspace, dir: string, files: string[]): Promise<PlannedReport[]> {
  if (files.length === 0) return []
  const used = new Set((await fs.readdir(path.join(dir, REPORTS_DIR)).catch(() => [] as string[])).map((n) => n.toLowerCase()))
  const out: PlannedReport[] = []
  for (const file of [...new Set(files)].sort()) {
    const base = path.basename(file)
    let name = base
    for (let i = 1; used.has(name.toLowerCase()); i++) name = i === 1 ? `workspace-${base}` : `workspace-${i}-${base}`
    used.add(name.toLowerCase())
    out.push({from: relativeToRoot(ws, file), to: `${REPORTS_DIR}/${name}`})
  }
  return out
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
    if (refused) return {duration_ms: Date.now() - started, recovered: [], results: refused, summary: {archived: 0, failed: refused.length, skipped: 0}}
  }
  const done = await withWorkspaceLock(
    ws,
    async (recovered) => {
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
            const why = now ? `its status is now ${now.status} (${now.reason})` : `it is no longer in ${relativeToRoot(ws, ws.paths.experiments)}/`
            results.push({...unselected(ws, name), error: `not archived: ${why}, since it was confirmed.`, reason: now?.reason ?? '', rule: now?.rule ?? null, status: now?.status ?? null})
          }
        }
      }
      const total = items.length + results.length
      options.onStart?.(total)
      for (const r of results) options.onItem?.(r, results.indexOf(r) + 1, total)
      for (const item of items) {
        const result = item.refused ? {...item, error: item.refused, outcome: 'failed' as const} : await archiveOne(ws, item, options)
        results.push(result)
        options.onItem?.(result, results.length, total)
      }
      const count = (o: ArchiveOutcome) => results.filter((r) => r.outcome === o).length
      return {duration_ms: Date.now() - started, recovered, results, summary: {archived: count('archived'), failed: count('failed'), skipped: count('skipped')}}
    },
  )
  // reports/index.html, when there is one, shows the experiments where they now are
  if (done.summary.archived > 0) await (await import('../report/service.js')).refreshIndexAfterChange(ws, options.now, options.log)
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

async function archiveOne(ws: Workspace, item: PlannedArchive, options: ArchiveOptions): Promise<ArchiveItemResult> {
  const src = path.join(ws.paths.experiments, item.name)
  const dst = path.join(ws.paths.archive, item.name)
  const staged: StagedFile[] = [...item.reports.map((r) => ({from: r.to, to: r.to})), {from: METADATA_FILE, replace: true, to: METADATA_FILE}]
  const now = options.now()
  const entry: MoveEntry = {
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
  try {
    const {crossDevice} = await moveExperiment(
      ws,
      entry,
      async (staging, midway) => {
        for (const r of item.reports) {
          const from = path.resolve(ws.root, r.from)
          const sha256 = await copyFileDurable(from, path.join(staging, r.to))
          copied.push({...r, bytes: (await fs.stat(from)).size, sha256})
        }
        await midway()
        const own = await readOwnMetadata(src)
        // key order is the order a person reads the record in
        const record: ArchiveRecord = {
          status: item.status,
          reason: item.reason,
          rule: item.rule,
          source: item.source,
          archived_at: now.toISOString(),
          original_path: item.from,
          file_count: item.files,
          bytes: item.bytes,
          reports: copied,
          exp_version: packageVersion(),
        }
        const previous = own.value?.archive
        if (previous && typeof previous === 'object' && !Array.isArray(previous)) {
          const {previous: older, ...last} = previous as {previous?: unknown}
          record.previous = [...(Array.isArray(older) ? older : []), last]
        }
        if (own.text !== undefined && !own.value) record.original_metadata_text = own.text
        await writeStaged(path.join(staging, METADATA_FILE), JSON.stringify({...own.value, archive: record}, null, 2) + '\n')
      },
      options.hooks,
    )
    return {...item, copied, cross_device: crossDevice, outcome: 'archived'}
  } catch (error) {
    if (isExpError(error) && error.exit !== EXIT.failure) throw error
    return {...item, error: messageOf(error), outcome: 'failed'}
  }
}

/** The experiment's own metadata.json: its keys when it is a JSON object, its text in any case. */
export async function readOwnMetadata(dir: string): Promise<{value?: Record<string, unknown>; text?: string}> {
  let text: string
  try {
    text = await fs.readFile(path.join(dir, METADATA_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
  try {
    const value = parseJsonBounded(text) as Record<string, unknown>
    if (value && typeof value === 'object' && !Array.isArray(value)) return {text, value}
  } catch {
    // not JSON: kept as text in the archive record
  }
  return {text}
}

/** The top-level entries of an experiment directory with their file counts and sizes (one walk). */
export async function describeContents(dir: string): Promise<ContentEntry[]> {
  const {default: fg} = await import('fast-glob')
  const entries = await fg('**', {cwd: dir, dot: true, followSymbolicLinks: false, objectMode: true, onlyFiles: true, stats: true})
  const byTop = new Map<string, ContentEntry>()
  for (const e of entries) {
    const slash = e.path.indexOf('/')
    const top = slash === -1 ? e.path : `${e.path.slice(0, slash)}/`
    const entry = byTop.get(top) ?? {bytes: 0, files: 0, path: top}
    entry.files++
    entry.bytes += e.stats!.size
    byTop.set(top, entry)
  }
  return [...byTop.values()].sort((a, b) => a.path.localeCompare(b.path))
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p)
    return true
  } catch {
    return false
  }
}

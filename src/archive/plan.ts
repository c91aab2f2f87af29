import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {Rule, Status} from '../classify/classify.js'
import {ExpError, isExpError} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {listExperimentNames, resolveName} from '../experiments/resolve.js'
import {REPORTS_DIR} from '../experiments/scan.js'
import {exists} from '../lib/journaled-move.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {ARCHIVABLE, type ArchiveChoice} from './choices.js'

/** Archiving, step one: which experiments, and what archiving each means (changes nothing). */

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

export interface PlanOptions extends ArchiveSelection {
  now: Clock
  /** describe each experiment's files (for --dry-run) */
  contents?: boolean
  log?: (line: string) => void
}

export function expandChoices(choices: ArchiveChoice[] | undefined): Status[] {
  const list = choices && choices.length > 0 ? choices : ['all']
  return ARCHIVABLE.filter((s) => list.includes('all') || list.includes(s as ArchiveChoice))
}

/** Turn the names a person typed into directory names in experiments/; unknown, ambiguous or archived ones are errors. */
export async function resolveNames(ws: Workspace, names: string[]): Promise<string[]> {
  const active = await listExperimentNames(ws, 'experiments')
  const archived = await listExperimentNames(ws, 'archive')
  const out: string[] = []
  for (const query of names) {
    let name: string
    try {
      name = resolveName(active, query).name
    } catch (error) {
      if (!isExpError(error) || error.code !== 'NOT_FOUND') throw error
      const there =
        archived.find((c) => c.name === query) ??
        (() => {
          try {
            return resolveName(archived, query)
          } catch {
            return undefined
          }
        })()
      if (there)
        throw new ExpError(
          `"${query}" is already archived (${relativeToRoot(ws, path.join(ws.paths.archive, there.name))}); nothing was archived.`,
          {code: 'ALREADY_ARCHIVED'},
        )
      throw new ExpError(
        `no experiment named "${query}" in ${relativeToRoot(ws, ws.paths.experiments)}/; nothing was archived.`,
        {code: 'NOT_FOUND', suggestion: 'exp list'},
      )
    }
    if (!out.includes(name)) out.push(name)
  }
  return out
}

/** Select and describe; changes nothing. */
export async function planArchive(ws: Workspace, options: PlanOptions): Promise<ArchivePlan> {
  return (await selectForArchive(ws, options)).plan
}

export async function selectForArchive(
  ws: Workspace,
  options: PlanOptions,
): Promise<{plan: ArchivePlan; all: Classified[]}> {
  const names = options.names && options.names.length > 0 ? await resolveNames(ws, options.names) : undefined
  const statuses = expandChoices(options.status)
  const all = await classifyWorkspace(ws, {location: 'experiments', log: options.log, now: options.now})
  const summary: Record<Status, number> = {active: 0, failed: 0, stale: 0, success: 0}
  for (const c of all) summary[c.classification.status]++
  const idleEnough = (c: Classified) =>
    options.olderThanMs === undefined || options.now().getTime() - c.snapshot.lastModified > options.olderThanMs
  const selected = names
    ? names.map((n) => all.find((c) => c.snapshot.name === n)!).filter(Boolean)
    : all.filter((c) => statuses.includes(c.classification.status) && idleEnough(c))
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
      reports: await planReportCopies(
        ws,
        s.dir,
        s.reports.filter((r) => r.scope === 'workspace').map((r) => r.path),
      ),
      rule: c.rule,
      source: c.source,
      status: c.status,
    }
    if (options.contents) item.contents = await describeContents(s.dir)
    if (c.status === 'active') item.refused = `it is active (${c.reason}); an active experiment is never archived.`
    else if (c.variants?.some((v) => v.classification.rule === 'live-run'))
      item.refused = `a variant is running (${c.variants
        .filter((v) => v.classification.rule === 'live-run')
        .map((v) => v.name)
        .join(', ')}); a sweep is archived only when no variant is active.`
    else if (await exists(dst)) item.refused = `${item.destination} already exists; it is never overwritten.`
    items.push(item)
  }
  return {all, plan: {items, summary}}
}

/** Copies of workspace reports go to the experiment's reports/ under their own name, never over a file there. */
async function planReportCopies(ws: Workspace, dir: string, files: string[]): Promise<PlannedReport[]> {
  if (files.length === 0) return []
  const used = new Set(
    (await fs.readdir(path.join(dir, REPORTS_DIR)).catch(() => [] as string[])).map((n) => n.toLowerCase()),
  )
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

/** The top-level entries of an experiment directory with their file counts and sizes (one walk). */
export async function describeContents(dir: string): Promise<ContentEntry[]> {
  const {default: fg} = await import('fast-glob')
  const entries = await fg('**', {
    cwd: dir,
    dot: true,
    followSymbolicLinks: false,
    objectMode: true,
    onlyFiles: true,
    stats: true,
  })
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

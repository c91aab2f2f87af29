import fg from 'fast-glob'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import {mapLimit} from '../lib/concurrency.js'
import {parseReport, type Report} from '../reports/report.js'
import {RUN_FILE, RUNS_DIR, type RunRecord} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {splitDirName} from './naming.js'
import {metadataVerdict, notesVerdict} from './notes.js'
import type {ExperimentSnapshot, Location} from './snapshot.js'

export const CONFIG_FILE = 'config.yaml'
export const NOTES_FILE = 'notes.md'
export const METADATA_FILE = 'metadata.json'
export const REPORTS_DIR = 'reports'

const IO_CONCURRENCY = 64

interface Walked {
  name: string
  fileCount: number
  bytes: number
  lastModified: number
  lastModifiedPath: string
  toRead: string[]
  hasConfig: boolean
}

/**
 * Scan experiment folders in one pass: one directory walk with stats (fast-glob), then one read of each file
 * that carries meaning (metadata.json, notes.md, reports, run records). Workspace-level reports are read once
 * and matched to experiments by name.
 */
export interface ScanOptions {
  location?: Location | 'all'
  /** only these directory names (exact), e.g. one resolved experiment */
  only?: string[]
}

export async function scanExperiments(ws: Workspace, options: ScanOptions = {}): Promise<ExperimentSnapshot[]> {
  const where = options.location ?? 'experiments'
  const locations: Location[] = where === 'all' ? ['experiments', 'archive'] : [where]
  const workspaceReports = await readWorkspaceReports(ws)
  const out: ExperimentSnapshot[] = []
  for (const location of locations) {
    const base = location === 'experiments' ? ws.paths.experiments : ws.paths.archive
    const walked = await walk(base, options.only)
    const snapshots = await mapLimit(walked, IO_CONCURRENCY, (w) => readExperiment(base, location, w, workspaceReports))
    out.push(...snapshots)
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.location.localeCompare(b.location))
}

async function walk(base: string, only?: string[]): Promise<Walked[]> {
  let entries: fg.Entry[]
  // names are validated to [A-Za-z0-9._-], but escape anyway: a directory made by hand may hold glob characters
  const patterns = only ? only.flatMap((n) => [fg.escapePath(n), `${fg.escapePath(n)}/**`]) : ['**']
  if (only?.length === 0) return []
  try {
    entries = await fg(patterns, {cwd: base, dot: true, followSymbolicLinks: false, objectMode: true, onlyFiles: false, stats: true, suppressErrors: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const byName = new Map<string, Walked>()
  for (const entry of entries) {
    const slash = entry.path.indexOf('/')
    const top = slash === -1 ? entry.path : entry.path.slice(0, slash)
    if (top.startsWith('.') || top === 'README.md') continue
    let w = byName.get(top)
    if (!w) {
      w = {bytes: 0, fileCount: 0, hasConfig: false, lastModified: 0, lastModifiedPath: '.', name: top, toRead: []}
      byName.set(top, w)
    }
    const stats = entry.stats!
    const rel = slash === -1 ? '.' : entry.path.slice(slash + 1)
    if (slash === -1 && !entry.dirent.isDirectory()) {
      byName.delete(top) // a loose file in experiments/ is not an experiment
      continue
    }
    if (stats.mtimeMs > w.lastModified) {
      w.lastModified = stats.mtimeMs
      w.lastModifiedPath = rel
    }
    if (entry.dirent.isDirectory()) continue
    w.fileCount++
    w.bytes += stats.size
    if (rel === CONFIG_FILE) w.hasConfig = true
    else if (rel === METADATA_FILE || rel === NOTES_FILE) w.toRead.push(rel)
    else if (isOwnReport(rel) || isRunFile(rel)) w.toRead.push(rel)
  }
  // keep directories whose walk produced nothing under them (empty experiment folders)
  return [...byName.values()]
}

function isOwnReport(rel: string): boolean {
  return rel.startsWith(`${REPORTS_DIR}/`) && rel.endsWith('.json') && rel.split('/').length === 2
}

function isRunFile(rel: string): boolean {
  const parts = rel.split('/')
  return parts.length === 3 && parts[0] === RUNS_DIR && parts[2] === RUN_FILE
}

async function readExperiment(base: string, location: Location, w: Walked, workspaceReports: WorkspaceReports): Promise<ExperimentSnapshot> {
  const dir = path.join(base, w.name)
  const {date, slug} = splitDirName(w.name)
  const snap: ExperimentSnapshot = {
    bytes: w.bytes,
    date,
    dir,
    fileCount: w.fileCount,
    hasConfig: w.hasConfig,
    lastModified: w.lastModified,
    lastModifiedPath: w.lastModifiedPath,
    location,
    name: w.name,
    reports: [],
    runs: [],
    slug,
    warnings: [],
  }
  for (const rel of w.toRead) {
    const file = path.join(dir, rel)
    let text: string
    let mtimeMs: number
    try {
      const handle = await fs.open(file, 'r')
      try {
        mtimeMs = (await handle.stat()).mtimeMs
        text = await handle.readFile('utf8')
      } finally {
        await handle.close()
      }
    } catch (error) {
      snap.warnings.push(`${rel}: cannot be read (${messageOf(error)})`)
      continue
    }
    if (rel === METADATA_FILE) {
      try {
        const value = JSON.parse(text)
        if (value && typeof value === 'object' && !Array.isArray(value)) snap.metadata = value
        else snap.warnings.push(`${rel}: not a JSON object`)
      } catch (error) {
        snap.warnings.push(`${rel}: not valid JSON (${messageOf(error)})`)
      }
    } else if (rel === NOTES_FILE) {
      snap.notesVerdict = notesVerdict(text)
    } else if (isRunFile(rel)) {
      try {
        snap.runs.push(JSON.parse(text) as RunRecord)
      } catch (error) {
        snap.warnings.push(`${rel}: not valid JSON (${messageOf(error)})`)
      }
    } else {
      snap.reports.push(parseReport(file, text, mtimeMs, 'experiment'))
    }
  }
  snap.reports.push(...workspaceReports.for(w.name))
  snap.reports.sort((a, b) => b.time - a.time)
  for (const r of snap.reports) if (r.error) snap.warnings.push(`${r.path}: ${r.error}; not used as a verdict`)
  snap.runs.sort((a, b) => b.run_id.localeCompare(a.run_id))
  if (snap.metadata && snap.metadata.status !== undefined && !metadataVerdict(snap.metadata.status) && typeof snap.metadata.status !== 'string') {
    snap.warnings.push(`${METADATA_FILE}: status is not a string`)
  }
  return snap
}

interface WorkspaceReports {
  for(name: string): Report[]
  /** reports that could not be matched to any experiment because they are not valid JSON */
  orphans: Report[]
}

/**
 * Workspace-level reports belong to an experiment when their JSON `experiment` field names it, or their basename
 * is the directory name or ends in `_<directory name>` (e.g. reports/test_2025-01-22-test-64dim.json).
 */
export async function readWorkspaceReports(ws: Workspace): Promise<WorkspaceReports> {
  let files: fg.Entry[] = []
  try {
    files = await fg('**/*.json', {cwd: ws.paths.reports, objectMode: true, stats: true, suppressErrors: true})
  } catch {
    files = []
  }
  const reports = await mapLimit(files, IO_CONCURRENCY, async (entry) => {
    const file = path.join(ws.paths.reports, entry.path)
    const text = await fs.readFile(file, 'utf8').catch(() => '')
    return parseReport(file, text, entry.stats!.mtimeMs, 'workspace')
  })
  // index every name a report can match, so matching N experiments costs N lookups, not N × reports
  const byName = new Map<string, Report[]>()
  const add = (name: string, report: Report) => {
    const list = byName.get(name) ?? []
    if (!list.includes(report)) list.push(report)
    byName.set(name, list)
  }
  const orphans: Report[] = []
  for (const report of reports) {
    const named = report.data?.experiment
    if (typeof named === 'string' && named) {
      add(named, report)
      continue
    }
    const base = path.basename(report.path, '.json')
    add(base, report)
    for (let i = base.indexOf('_'); i !== -1; i = base.indexOf('_', i + 1)) add(base.slice(i + 1), report)
    if (report.error) orphans.push(report)
  }
  return {for: (name: string) => byName.get(name) ?? [], orphans}
}

import {type Dirent, lstatSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {checkpointSummaries, walkedCheckpointEntry} from '../checkpoints/summary.js'
import {messageOf} from '../errors.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {clampFutureTime, FUTURE_SLACK_MS, newestFirst, parseReport, type Report} from '../reports/report.js'
import {RUN_FILE, RUNS_DIR, type RunRecord} from '../runs/record.js'
import {runRecordProblem} from '../runs/validate.js'
import type {Workspace} from '../workspace/workspace.js'
import {readSweepFile, SWEEP_FILE} from '../sweeps/record.js'
import {splitDirName} from './naming.js'
import type {ExperimentSnapshot, Location} from './snapshot.js'
import {addVariant, type Walked} from './walked.js'

export const CONFIG_FILE = 'config.yaml'
export const NOTES_FILE = 'notes.md'
export const METADATA_FILE = 'metadata.json'
export const REPORTS_DIR = 'reports'

/**
 * Scan experiment folders in one pass: one directory walk with one lstat per entry, then one read of each file
 * that carries meaning (metadata.json, notes.md, reports, run records). Workspace-level reports are read once
 * and matched to experiments by name.
 *
 * The walk and the reads are synchronous on purpose: they are tens of thousands of small metadata calls on a
 * warm cache, and each one sent through libuv's thread pool costs more than the system call itself (measured by
 * bench/run.js: the async fast-glob walk and open/fstat/read/close per file made `exp list` 6× slower than a
 * plain script at N = 1,000). A CLI has nothing else to do while it scans.
 */
export interface ScanOptions {
  location?: Location | 'all'
  /** only these directory names (exact), e.g. one resolved experiment */
  only?: string[]
  /** what "now" is for times found in the future (default: the system clock) */
  now?: () => Date
}

export async function scanExperiments(ws: Workspace, options: ScanOptions = {}): Promise<ExperimentSnapshot[]> {
  const where = options.location ?? 'experiments'
  const locations: Location[] = where === 'all' ? ['experiments', 'archive'] : [where]
  const workspaceReports = await readWorkspaceReports(ws)
  const out: ExperimentSnapshot[] = []
  for (const location of locations) {
    const base = location === 'experiments' ? ws.paths.experiments : ws.paths.archive
    for (const w of walk(base, options.only)) out.push(readExperiment(base, location, w, workspaceReports, (options.now ?? (() => new Date()))().getTime()))
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.location.localeCompare(b.location))
}

function walk(base: string, only?: string[]): Walked[] {
  let tops: Dirent[]
  try {
    tops = readdirSync(base, {withFileTypes: true})
  } catch {
    return [] // no experiments folder (or an unreadable one): nothing to list
  }
  if (only) {
    const wanted = new Set(only)
    tops = tops.filter((d) => wanted.has(d.name))
  }
  const out: Walked[] = []
  for (const top of tops) {
    // a loose file (or a symbolic link) in experiments/ is not an experiment; hidden folders are exp's own
    if (!top.isDirectory() || top.name.startsWith('.') || top.name === 'README.md') continue
    const dir = path.join(base, top.name)
    let stats
    try {
      stats = lstatSync(dir)
    } catch {
      continue // removed while we looked
    }
    const w: Walked = {bytes: 0, checkpoints: new Map(), fileCount: 0, hasConfig: false, lastModified: stats.mtimeMs, lastModifiedPath: '.', name: top.name, toRead: []}
    walkInto(dir, '', w)
    out.push(w)
  }
  return out
}

/** Every entry under `dir`, one lstat each (symbolic links not followed); a folder's files before its subfolders. */
function walkInto(dir: string, prefix: string, w: Walked, inVariant = false): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return // an unreadable subfolder is skipped, as before
  }
  // which files here carry meaning, decided once per folder rather than per file (this runs for every file)
  const top = prefix === ''
  // reports/*.json, and an evaluation suite's reports/<run-id>/<evaluation>.json
  const reportsHere = prefix === `${REPORTS_DIR}/` || (prefix.startsWith(`${REPORTS_DIR}/`) && prefix.indexOf('/', REPORTS_DIR.length + 1) === prefix.length - 1)
  const runHere = prefix.startsWith(`${RUNS_DIR}/`) && prefix.indexOf('/', RUNS_DIR.length + 1) === prefix.length - 1
  const checkpointHere = prefix.startsWith('checkpoints/')
  const subdirs: Array<[name: string, mtimeMs: number]> = []
  let sweepHere = false
  for (const entry of entries) {
    const name = entry.name
    const rel = prefix + name
    let stats
    try {
      stats = lstatSync(dir + path.sep + name)
    } catch {
      continue
    }
    if (stats.mtimeMs > w.lastModified) {
      w.lastModified = stats.mtimeMs
      w.lastModifiedPath = rel
    }
    if (checkpointHere) walkedCheckpointEntry(w.checkpoints, rel, stats)
    if (stats.isDirectory()) {
      subdirs.push([name, stats.mtimeMs])
      continue
    }
    w.fileCount++
    w.bytes += stats.size
    if (top && name === CONFIG_FILE) w.hasConfig = true
    else if (top && name === SWEEP_FILE && !inVariant) sweepHere = true
    else if ((top && (name === METADATA_FILE || name === NOTES_FILE)) || (reportsHere && name.endsWith('.json')) || (runHere && name === RUN_FILE)) {
      w.toRead.push({mtimeMs: stats.mtimeMs, rel})
    }
  }
  if (sweepHere) w.sweep = readSweepFile(dir + path.sep + SWEEP_FILE)
  const variants = w.sweep?.record && sweepHere ? new Set(w.sweep.record.variants.map((v) => v.name)) : undefined
  for (const [name, mtimeMs] of subdirs) {
    if (variants?.has(name)) walkVariant(dir + path.sep + name, name, mtimeMs, w)
    else walkInto(dir + path.sep + name, `${prefix}${name}/`, w, inVariant)
  }
}

/** A variant folder: walked like an experiment of its own, its totals added to the experiment's. */
function walkVariant(dir: string, name: string, mtimeMs: number, parent: Walked): void {
  const v: Walked = {bytes: 0, checkpoints: new Map(), fileCount: 0, hasConfig: false, lastModified: mtimeMs, lastModifiedPath: '.', name, toRead: []}
  walkInto(dir, '', v, true)
  addVariant(parent, v)
}

function isRunFile(rel: string): boolean {
  const parts = rel.split('/')
  return parts.length === 3 && parts[0] === RUNS_DIR && parts[2] === RUN_FILE
}

function readExperiment(base: string, location: Location, w: Walked, workspaceReports: WorkspaceReports, nowMs: number, reportKey = w.name): ExperimentSnapshot {
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
  for (const {mtimeMs, rel} of w.toRead) {
    const file = path.join(dir, rel)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      snap.warnings.push(`${rel}: cannot be read (${messageOf(error)})`)
      continue
    }
    if (rel === METADATA_FILE) {
      try {
        const value = parseJsonBounded(text) as Record<string, unknown>
        if (value && typeof value === 'object' && !Array.isArray(value)) snap.metadata = value
        else snap.warnings.push(`${rel}: not a JSON object`)
      } catch (error) {
        snap.warnings.push(`${rel}: not valid JSON (${messageOf(error)})`)
      }
    } else if (rel === NOTES_FILE) {
      snap.notesText = text
    } else if (isRunFile(rel)) {
      try {
        const value = parseJsonBounded(text)
        // records are input: a run id or path that leaves the experiment makes the record invalid, never used
        const problem = runRecordProblem(value, rel.split('/')[1])
        if (problem) snap.warnings.push(`${rel}: ${problem}; record not used`)
        else snap.runs.push(value as RunRecord)
      } catch (error) {
        snap.warnings.push(`${rel}: not valid JSON (${messageOf(error)})`)
      }
    } else {
      snap.reports.push(parseReport(file, text, mtimeMs, 'experiment'))
    }
  }
  snap.reports.push(...workspaceReports.for(reportKey))
  for (const r of snap.reports) {
    const future = clampFutureTime(r, nowMs)
    if (future) snap.warnings.push(future)
  }
  snap.reports.sort(newestFirst)
  if (snap.lastModified > nowMs) {
    // a file from a wrong clock would keep the experiment "active, 0s ago" for ever: it counts as changed now
    if (snap.lastModified > nowMs + FUTURE_SLACK_MS) snap.warnings.push(`${snap.lastModifiedPath}: modified in the future (${new Date(snap.lastModified).toISOString()}); taken as now`)
    snap.lastModified = nowMs
  }
  for (const r of snap.reports) if (r.error) snap.warnings.push(`${r.path}: ${r.error}; not used as a verdict`)
  snap.runs.sort((a, b) => b.run_id.localeCompare(a.run_id))
  snap.checkpoints = checkpointSummaries(dir, w.checkpoints)
  if (w.sweep?.error) snap.warnings.push(`${SWEEP_FILE}: ${w.sweep.error}; its folders are not read as variants`)
  if (w.sweep?.record) {
    snap.sweep = w.sweep.record
    const walked = new Map((w.variants ?? []).map((v) => [v.name, v]))
    snap.variants = w.sweep.record.variants.map((v) => {
      const vw = walked.get(v.name)
      if (!vw) snap.warnings.push(`${SWEEP_FILE}: variant ${v.name} has no folder`)
      return readExperiment(dir, location, vw ?? {bytes: 0, checkpoints: new Map(), fileCount: 0, hasConfig: false, lastModified: 0, lastModifiedPath: '.', name: v.name, toRead: []}, workspaceReports, nowMs, `${w.name}/${v.name}`)
    })
  }
  if (snap.metadata && snap.metadata.status !== undefined && typeof snap.metadata.status !== 'string') {
    snap.warnings.push(`${METADATA_FILE}: status is not a string`)
  }
  return snap
}

interface WorkspaceReports {
  for(name: string): Report[]
}

/**
 * Workspace-level reports belong to an experiment when their JSON `experiment` field names it, or their basename
 * is the directory name or ends in `_<directory name>` (e.g. reports/test_2025-01-22-test-64dim.json).
 */
export async function readWorkspaceReports(ws: Workspace): Promise<WorkspaceReports> {
  const reports = jsonFilesUnder(ws.paths.reports).map(({file, mtimeMs}) => {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {}
    return parseReport(file, text, mtimeMs, 'workspace')
  })
  // index every name a report can match, so matching N experiments costs N lookups, not N × reports
  const byName = new Map<string, Report[]>()
  const add = (name: string, report: Report) => {
    const list = byName.get(name) ?? []
    if (!list.includes(report)) list.push(report)
    byName.set(name, list)
  }
  for (const report of reports) {
    const named = report.data?.experiment
    if (typeof named === 'string' && named) {
      add(named, report)
      continue
    }
    const base = path.basename(report.path, '.json')
    add(base, report)
    for (let i = base.indexOf('_'); i !== -1; i = base.indexOf('_', i + 1)) add(base.slice(i + 1), report)
  }
  return {for: (name: string) => byName.get(name) ?? []}
}

/**
 * Every .json file under dir, at any depth, with its mtime: hidden files and folders are skipped, symbolic links
 * are followed (each folder once, so a link cycle ends), unreadable entries are skipped. What a glob with dot: false
 * and suppressErrors gave, without loading a glob library on the path of every command.
 */
function jsonFilesUnder(dir: string, seen = new Set<string>(), out: {file: string; mtimeMs: number}[] = []): {file: string; mtimeMs: number}[] {
  let entries: Dirent[]
  try {
    const stats = statSync(dir)
    const key = `${stats.dev}:${stats.ino}`
    if (seen.has(key)) return out // a folder reached again through a link (links can make cycles)
    seen.add(key)
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return out
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      jsonFilesUnder(file, seen, out)
      continue
    }
    if (!entry.isSymbolicLink() && !entry.name.endsWith('.json')) continue
    let stats
    try {
      stats = statSync(file)
    } catch {
      continue // a dangling link
    }
    if (stats.isDirectory()) jsonFilesUnder(file, seen, out)
    else if (stats.isFile() && entry.name.endsWith('.json')) out.push({file, mtimeMs: stats.mtimeMs})
  }
  return out
}

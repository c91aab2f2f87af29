import {readFileSync} from 'node:fs'
import path from 'node:path'

import {checkpointSummaries} from '../checkpoints/summary.js'
import {messageOf} from '../errors.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {METADATA_FILE, NOTES_FILE} from '../records/files.js'
import {clampFutureTime, FUTURE_SLACK_MS, newestFirst, parseReport} from '../reports/report.js'
import {checkRunRecord, compareRuns} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {SWEEP_FILE} from '../sweeps/record.js'
import {splitDirName} from './naming.js'
import type {ExperimentSnapshot, Location} from './snapshot.js'
import {isRunFile, walk} from './walk.js'
import type {Walked} from './walked.js'
import {readWorkspaceReports, type WorkspaceReports} from './workspace-reports.js'

export {CONFIG_FILE, METADATA_FILE, NOTES_FILE, REPORTS_DIR} from '../records/files.js'
export {readWorkspaceReports} from './workspace-reports.js'

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
      if (rel === METADATA_FILE) snap.metadataProblem = snap.warnings.at(-1)
      continue
    }
    if (rel === METADATA_FILE) {
      try {
        const value = parseJsonBounded(text) as Record<string, unknown>
        if (value && typeof value === 'object' && !Array.isArray(value)) snap.metadata = value
        else snap.warnings.push((snap.metadataProblem = `${rel}: not a JSON object`))
      } catch (error) {
        snap.warnings.push((snap.metadataProblem = `${rel}: not valid JSON (${messageOf(error)})`))
      }
    } else if (rel === NOTES_FILE) {
      snap.notesText = text
    } else if (isRunFile(rel)) {
      try {
        const value = parseJsonBounded(text)
        // records are input: a run id or path that leaves the experiment makes the record invalid, never used
        const checked = checkRunRecord(value, rel.split('/')[1])
        if (checked.ok) snap.runs.push(checked.record)
        else snap.warnings.push(`${rel}: ${checked.problem}; record not used`)
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
  snap.runs.sort(compareRuns)
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

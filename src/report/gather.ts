import {type Dirent, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import type {ExperimentDetails} from '../experiments/details.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {numericMetrics, type Report} from '../reports/report.js'
import {metricsFile} from '../runs/metrics.js'
import type {RunRecord} from '../runs/record.js'
import type {SafeHtml} from './html.js'
import {lossPoints} from './loss-points.js'
import {renderMarkdown} from './markdown.js'

/** What an experiment page shows, read from the snapshot and a few files the scan does not keep (curves, checkpoint manifests). */
export interface EvaluationRow {
  evaluation: string
  run_id: string
  report: string
  gates_passed: unknown
  metrics: Record<string, number>
  missing: boolean
}

export interface CheckpointView {
  /** relative to the experiment directory */
  path: string
  run_id: string
  files: number
  bytes: number
  integrity: 'verified' | 'damaged' | 'no manifest' | 'unreadable manifest'
  problems: string[]
}

export interface PageData {
  details: ExperimentDetails
  /** notes.md rendered (the scan's text), undefined when it is blank or absent */
  notes?: SafeHtml
  /** one training curve (loss against step, flat: step, loss, step, loss, ...) per run that logged one, oldest first */
  curves: Array<{run_id: string; points: ArrayLike<number>}>
  /** evaluation reports grouped by the checkpoint they evaluated */
  evaluations: Array<{checkpoint: string; rows: EvaluationRow[]}>
  /** reports that no run record names (written by hand or by other tools) */
  otherReports: ExperimentDetails['reports_detail']
  checkpoints: CheckpointView[]
}

/** The reports a run's evaluate stage(s) wrote: a suite's named reports, or the one report of the single form. */
export function runReports(run: RunRecord): Array<[string, string]> {
  const suite = (run as RunRecord & {reports?: Record<string, string>}).reports
  if (suite && typeof suite === 'object') return Object.entries(suite)
  return run.report ? [['evaluate', run.report]] : []
}

/** The checkpoint a run evaluated: recorded since suites, else its own train's (or the evaluate argv's). */
export function runCheckpoint(run: RunRecord): string {
  const recorded = (run as RunRecord & {checkpoint?: unknown}).checkpoint
  if (typeof recorded === 'string') return recorded
  for (const stage of run.stages) {
    const argv = stage.command
    const i = argv.indexOf('--checkpoint')
    if (stage.name !== 'train' && i >= 0 && argv[i + 1]) return argv[i + 1]
  }
  return `checkpoints/${run.run_id}`
}

/** A run folder's loss curve (step, loss); made by `lossCurves`, which reads each metrics.jsonl once per command. */
export type LossCurve = (runDir: string) => ArrayLike<number>

/**
 * `exp report --all` draws a run's loss curve twice (its page, the index's sparkline): each metrics.jsonl is read
 * and parsed once, and only the curve is kept. `prefetched`: curves the page writer thread already read and parsed
 * while the main thread scanned (flat step, loss pairs by run folder); any other folder is read here.
 */
export function lossCurves(prefetched?: ReadonlyMap<string, ArrayLike<number>>): LossCurve {
  const seen = new Map<string, ArrayLike<number>>()
  return (runDir: string) => {
    let points = prefetched?.get(runDir) ?? seen.get(runDir)
    if (!points) {
      let text = ''
      try {
        text = readFileSync(metricsFile(runDir), 'utf8')
      } catch {
        // no metrics.jsonl
      }
      seen.set(runDir, (points = text ? lossPoints(text) : []))
    }
    return points
  }
}

/** `checkpointFolders` false: checkpoints/ is known to hold no folder (the writer thread looked), so it is not read. */
export async function gatherPage(
  details: ExperimentDetails,
  snapshot: ExperimentSnapshot,
  losses: LossCurve = lossCurves(),
  checkpointFolders = true,
): Promise<PageData> {
  const dir = snapshot.dir
  const byPath = new Map<string, Report>(snapshot.reports.map((r) => [path.resolve(r.path), r]))
  const named = new Set<string>()
  const groups = new Map<string, EvaluationRow[]>()
  for (const run of [...snapshot.runs].reverse()) {
    for (const [evaluation, rel] of runReports(run)) {
      const file = path.resolve(dir, rel)
      named.add(file)
      const report = byPath.get(file)
      const checkpoint = runCheckpoint(run)
      const rows = groups.get(checkpoint) ?? []
      rows.push({
        evaluation,
        gates_passed: report?.data?.gates_passed,
        metrics: numericMetrics(report),
        missing: !report,
        report: rel,
        run_id: run.run_id,
      })
      groups.set(checkpoint, rows)
    }
  }
  const curves = [...snapshot.runs]
    .reverse()
    .map((run) => ({points: losses(path.join(dir, 'runs', run.run_id)), run_id: run.run_id}))
    .filter((c) => c.points.length > 0)
  const notes = snapshot.notesText ?? ''
  return {
    checkpoints: checkpointFolders ? checkpointsOf(dir) : [],
    curves,
    details,
    evaluations: [...groups.entries()].map(([checkpoint, rows]) => ({checkpoint, rows})),
    notes: notes.trim() ? await renderMarkdown(notes) : undefined,
    otherReports: details.reports_detail.filter((r) => !named.has(path.resolve(dir, r.path))),
  }
}

/**
 * Every checkpoint folder with its integrity as far as names and sizes tell (nothing is hashed: a page must be
 * quick): its MANIFEST.json lists each file with its size; a missing file or another size is damage.
 */
function checkpointsOf(dir: string): CheckpointView[] {
  const base = path.join(dir, 'checkpoints')
  let folders: Dirent[]
  try {
    folders = readdirSync(base, {withFileTypes: true})
  } catch {
    return [] // no checkpoints folder
  }
  const out: CheckpointView[] = []
  for (const entry of folders) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    const folder = path.join(base, entry.name)
    const sizes = new Map<string, number>()
    // the walk sees MANIFEST.json (a file or not): no second look for it
    let manifest = false
    const walk = (d: string, prefix: string) => {
      for (const e of readdirSync(d, {withFileTypes: true})) {
        const rel = prefix ? `${prefix}/${e.name}` : e.name
        if (rel === 'MANIFEST.json') manifest = true
        if (e.isDirectory()) walk(`${d}/${e.name}`, rel)
        else if (rel !== 'MANIFEST.json') sizes.set(rel, statSync(`${d}/${e.name}`, {throwIfNoEntry: false})?.size ?? 0)
      }
    }
    walk(folder, '')
    let bytes = 0
    for (const size of sizes.values()) bytes += size
    const view: CheckpointView = {
      bytes,
      files: sizes.size,
      integrity: 'no manifest',
      path: `checkpoints/${entry.name}`,
      problems: [],
      run_id: entry.name,
    }
    if (manifest) {
      try {
        const files = (
          JSON.parse(readFileSync(path.join(folder, 'MANIFEST.json'), 'utf8')) as {
            files?: Array<{path: string; size: number}>
          }
        ).files
        if (!Array.isArray(files)) throw new Error('no files list')
        for (const f of files) {
          const size = sizes.get(f.path)
          if (size === undefined) view.problems.push(`${f.path} is missing`)
          else if (size !== f.size) view.problems.push(`${f.path} is ${size} bytes, the manifest says ${f.size}`)
        }
        view.integrity = view.problems.length > 0 ? 'damaged' : 'verified'
      } catch (error) {
        // a dangling link is no manifest, as before the walk saw it
        view.integrity = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no manifest' : 'unreadable manifest'
      }
    }
    out.push(view)
  }
  return out.sort((a, b) => a.run_id.localeCompare(b.run_id))
}

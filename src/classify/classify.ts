import path from 'node:path'

import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {type Report, reportVerdict} from '../reports/report.js'
import {failedStage, isLive, notStarted, runTime} from '../runs/record.js'
import {formatAge} from '../lib/time.js'
import {idleDetail} from './state.js'
import {suiteView} from './suite.js'
import {aggregateSweep, variantMetric} from './sweep.js'
import {type Classification, type ClassifyOptions, type Status, STATUSES} from './types.js'
import {metadataVerdict, notesVerdict} from './verdicts.js'

export {type Classification, type ClassifyOptions, type Rule, type Status, STATUSES} from './types.js'

/**
 * The one classification of an experiment, from its snapshot alone (no I/O). Precedence:
 * 1. a live run → active;
 * 2. a person's explicit verdict: metadata.json `status`, then a Status:/Result: line in notes.md with ✓ or ✗;
 * 3. the newest evidence: the newest report with a verdict (gates_passed / errors), unless a run that failed is
 *    newer than it (a stage exited non-zero or could not start);
 * 4. no verdict: in the archive, the status recorded when it was archived (its metadata.json `archive` object;
 *    archiving itself writes files, so its age says nothing); elsewhere stale when nothing under the directory
 *    changed for more than stale_days, else active.
 * Runs must have been refreshed (dead supervisors → interrupted, SLURM/vast states) before calling this.
 */
export function classify(snap: ExperimentSnapshot, options: ClassifyOptions): Classification {
  if (snap.variants) {
    const variants = snap.variants.map((v) => ({
      classification: classify(v, options),
      metric: variantMetric(v, options.metric, newestReport),
      name: v.name,
    }))
    return aggregateSweep({options, own: classify({...snap, variants: undefined}, options), variants})
  }
  const live = snap.runs.find((r) => isLive(r.state))
  if (live) {
    return {
      reason: `run ${live.run_id} is ${live.state} (${live.backend})`,
      rule: 'live-run',
      source: path.join('runs', live.run_id, 'run.json'),
      status: 'active',
      field: 'state',
    }
  }

  const fromMetadata = metadataVerdict(snap.metadata?.status)
  if (fromMetadata) {
    const why = (snap.metadata!.verdict as {reason?: unknown} | undefined)?.reason // exp mark --reason
    return {
      field: 'status',
      reason: `metadata.json status is "${snap.metadata!.status}"${typeof why === 'string' && why ? `: ${why}` : ''}`,
      rule: 'metadata',
      source: 'metadata.json',
      status: fromMetadata,
    }
  }
  const fromNotes = notesVerdict(snap.notesText)
  if (fromNotes) {
    return {
      reason: `notes.md line ${fromNotes.line}: ${fromNotes.text}`,
      rule: 'notes',
      source: 'notes.md',
      status: fromNotes.verdict,
    }
  }

  const newest = newestVerdictReport(snap.reports)
  // an evaluation suite: every evaluation of the checkpoint with a verdict must pass; a failing one decides
  const report = suiteView(snap, newest?.report)?.deciding ?? newest
  // a launch that failed before any engine ran says nothing about the experiment
  const failedRun = snap.runs.find((r) => r.state === 'failed' && !notStarted(r))
  if (failedRun && (!report || runTime(failedRun) > report.report.time)) {
    const stage = failedStage(failedRun)
    const how = stage
      ? `${stage.name} ${stage.reason ?? `exited with code ${stage.exit_code ?? '?'}`}`
      : (failedRun.reason ?? 'failed')
    return {
      field: 'state',
      reason: `run ${failedRun.run_id} failed: ${how}`,
      rule: 'run',
      source: path.join('runs', failedRun.run_id, 'run.json'),
      status: 'failed',
    }
  }
  if (report) {
    const {field, verdict} = report.verdict
    const data = report.report.data!
    const detail =
      field === 'gates_passed' ? `gates_passed is ${data.gates_passed}` : `${field}: ${summarise(data[field])}`
    const tie = snap.reports.find((r) => r !== report.report && r.time === report.report.time && reportVerdict(r))
    const shown = (file: string) => (options.root ? path.relative(options.root, file) : displayPath(snap, file)) // reasons: from the workspace root
    const tied = tie ? ` (same time as ${shown(tie.path)}: the later file name wins)` : ''
    return {
      field,
      reason: `${shown(report.report.path)}: ${detail}${tied}`,
      rule: 'report',
      source: displayPath(snap, report.report.path),
      status: verdict,
    }
  }

  const archived = snap.location === 'archive' ? archivedStatus(snap.metadata) : undefined
  if (archived) {
    return {
      field: 'archive.status',
      reason: `archived as ${archived.status}${archived.reason ? `: ${archived.reason}` : ''}`,
      rule: 'archive',
      source: 'metadata.json',
      status: archived.status,
    }
  }

  const idle = options.now.getTime() - snap.lastModified
  const limit = options.staleDays * 86_400_000
  if (idle > limit) {
    return {
      reason: `no verdict; ${idleDetail(snap.runs)}; nothing changed for ${formatAge(idle)} (stale after ${options.staleDays}d)`,
      rule: 'age',
      source: snap.lastModifiedPath,
      status: 'stale',
    }
  }
  return {
    reason: `no verdict yet; ${idleDetail(snap.runs)}; last change ${formatAge(idle)} ago`,
    rule: 'age',
    source: snap.lastModifiedPath,
    status: 'active',
  }
}

/** The status an archived experiment had when it was archived (metadata.json `archive.status`). */
function archivedStatus(metadata: Record<string, unknown> | undefined): {status: Status; reason?: string} | undefined {
  const record = metadata?.archive
  if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined
  const {reason, status} = record as {status?: unknown; reason?: unknown}
  if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) return undefined
  return {reason: typeof reason === 'string' ? reason : undefined, status: status as Status}
}

function newestVerdictReport(reports: Report[]) {
  // reports are sorted newest first; an invalid report is never a verdict
  for (const report of reports) {
    const verdict = reportVerdict(report)
    if (verdict) return {report, verdict}
  }
  return undefined
}

function summarise(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

export function displayPath(snap: ExperimentSnapshot, file: string): string {
  // most files are inside the experiment (or variant) folder: a prefix, not a path.relative (measurable at 10,000)
  if (file.startsWith(snap.dir + path.sep)) return file.slice(snap.dir.length + 1)
  const rel = path.relative(snap.dir, file)
  if (!rel.startsWith('..')) return rel
  // a workspace report: show it from the workspace root (two levels up from the experiment)
  return path.relative(path.dirname(path.dirname(snap.dir)), file)
}

export function emptySummary(): Record<Status, number> {
  return {active: 0, failed: 0, stale: 0, success: 0}
}

/** The newest report (valid or not) - what list shows metrics from. */
export function newestReport(
  snap: Pick<ExperimentSnapshot, 'reports'> & Partial<ExperimentSnapshot>,
): Report | undefined {
  const newest = newestVerdictReport(snap.reports)?.report
  return (
    (snap.runs && snap.dir ? suiteView(snap as ExperimentSnapshot, newest)?.merged : undefined) ??
    newest ??
    snap.reports.find((r) => !r.error)
  )
}

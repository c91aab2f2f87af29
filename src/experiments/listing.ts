import path from 'node:path'

import type {CheckpointSummary} from '../checkpoints/summary.js'
import {type Classification, classify, emptySummary, newestReport, type Status} from '../classify/classify.js'
import {type Activity, activityOf} from '../classify/state.js'
import type {Clock} from '../lib/time.js'
import {metricValue} from '../reports/report.js'
import {refreshLiveRuns} from '../runs/refresh.js'
import {recoverIfPending} from '../workspace/recovery.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {scanExperiments, type ScanOptions} from './scan.js'
import type {Classified} from './classified.js'
import type {ListQuery} from './list-query.js'
import type {Location} from './snapshot.js'
import {listedVariants, type ListedVariant} from './variants.js'

/** One experiment as list, archive --list-only and cron print it (and as `exp list --json` returns it). */
export interface ListedExperiment {
  name: string
  slug: string
  date: string | null
  location: Location
  status: Status
  /** beside the status: running/queued (a live run), idle (no verdict, nothing running), null (a verdict decided) */
  state: Activity['state']
  /** why: the live run, or never launched / how the last run ended */
  state_detail: string | null
  reason: string
  rule: Classification['rule']
  source?: string
  last_activity: string
  idle_ms: number
  metric: {name: string; value: unknown} | null
  reports: number
  runs: number
  /** a sweep: how many variants it has (null for a plain experiment) */
  variants: number | null
  /** each checkpoints/<run-id>/ folder's quick state: committed, uncommitted or corrupt (with the problems) */
  checkpoints: CheckpointSummary[]
  warnings: string[]
  /** with `exp list --params KEY…`: those config values (null when absent) */
  params?: Record<string, unknown>
}

export type {Classified} from './classified.js'

export interface ListResult {
  experiments: ListedExperiment[]
  /** with --variants: one row per variant of the listed sweeps */
  variants?: ListedVariant[]
  summary: Record<Status, number>
  warnings: string[]
}

/**
 * Scan, refresh live runs (one call per backend), classify. The single path every command that needs statuses
 * takes (list, show, archive, promote, cron), so they always agree.
 */
export async function classifyWorkspace(ws: Workspace, options: ScanOptions & {now: Clock; log?: (line: string) => void}): Promise<Classified[]> {
  // a step a killed exp left half-done is finished or rolled back first, so the scan sees whole experiments
  for (const line of await recoverIfPending(ws)) options.log?.(line)
  const snapshots = await scanExperiments(ws, options)
  await refreshLiveRuns([...snapshots, ...snapshots.flatMap((s) => s.variants ?? [])], {log: options.log ?? (() => {}), now: options.now, ws})
  const now = options.now()
  return snapshots.map((snapshot) => ({classification: classify(snapshot, {direction: ws.settings.promote.direction, metric: ws.settings.promote.metric, now, root: ws.root, staleDays: ws.settings.classification.stale_days}), snapshot}))
}

export function toListed(item: Classified, now: Date, metric: string): ListedExperiment {
  const {classification: c, snapshot: s} = item
  const report = newestReport(s)
  const value = metricValue(report, metric)
  return {
    date: s.date,
    idle_ms: Math.max(0, now.getTime() - s.lastModified),
    last_activity: new Date(s.lastModified).toISOString(),
    location: s.location,
    metric: value === undefined ? null : {name: metric, value},
    name: s.name,
    reason: c.reason,
    reports: s.reports.length,
    rule: c.rule,
    runs: s.runs.length,
    checkpoints: s.checkpoints ?? [],
    slug: s.slug,
    source: c.source,
    ...activityOf(s, c),
    status: c.status,
    variants: s.variants ? s.variants.length : null,
    warnings: s.warnings,
  }
}

export interface ListOptions {
  now: Clock
  status?: Status[]
  archived?: boolean
  variants?: boolean
  /** --params, --sort, --limit, --where (experiments/list-query) */
  query?: ListQuery
}

export async function listExperiments(ws: Workspace, options: ListOptions): Promise<ListResult> {
  const items = await classifyWorkspace(ws, {location: options.archived ? 'archive' : 'experiments', now: options.now})
  const now = options.now()
  const summary = emptySummary()
  let experiments: ListedExperiment[] = []
  const warnings: string[] = []
  const kept: Classified[] = []
  for (const item of items) {
    summary[item.classification.status]++
    if (options.status && !options.status.includes(item.classification.status)) continue
    kept.push(item)
    const listed = toListed(item, now, ws.settings.promote.metric)
    experiments.push(listed)
    for (const w of listed.warnings) warnings.push(`${listed.name}: ${w}`)
  }
  if (options.query) experiments = (await import('./list-query.js')).applyQuery(kept, experiments, options.query)
  if (!options.archived) {
    const {newFolders} = await import('../workspace/new-marker.js')
    for (const name of (await newFolders(ws.paths.experiments)).others) {
      warnings.push(`${relativeToRoot(ws, path.join(ws.paths.experiments, name))}: not an experiment (a hidden .new-* folder exp did not make); left alone`)
    }
  }
  return {experiments, summary, warnings, ...(options.variants ? {variants: listedVariants(kept, ws.settings.promote.metric)} : {})}
}

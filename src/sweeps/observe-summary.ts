import {existsSync} from 'node:fs'
import path from 'node:path'

import {classify} from '../classify/classify.js'
import {bestVariant} from '../classify/sweep.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {LAUNCH_LOG} from '../launch/launch-log.js'
import {runDir, type RunState} from '../runs/record.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {skipped, stageDuration, variantRuns} from './observe-transitions.js'
import {SUMMARY_FILE} from './record.js'

/** One variant at the end of a watch (and in `exp watch --json`). */
export interface VariantOutcome {
  variant: string
  run_id: string | null
  state: RunState | 'not launched'
  train_ms: number | null
  evaluation_ms: number | null
  metric: number | null
  /** the variant's classification: success / failed / active / stale, and why */
  verdict: string
  reason: string
  /** its run folder (logs), workspace-relative */
  logs: string | null
  report: string | null
}

export interface SweepSummary {
  experiment: string
  metric_name: string
  variants: VariantOutcome[]
  phases: {
    train: {completed: number; failed: number; other: number}
    evaluate: {completed: number; failed: number; skipped: number; other: number}
  }
  /** from the first stage started to the last one ended */
  total_ms: number | null
  best: {variant: string; metric: number} | null
  launch_log: string | null
  summary_file: string | null
  next: string[]
}

/** What a sweep's variants came to, from a snapshot (pure but for two existence checks). */
export function summariseSweep(ws: Workspace, snap: ExperimentSnapshot, now: Date): SweepSummary {
  const {direction, metric} = ws.settings.promote
  const classification = classify(snap, {direction, metric, now, staleDays: ws.settings.classification.stale_days})
  const verdicts = new Map((classification.variants ?? []).map((v) => [v.name, v]))
  const phases: SweepSummary['phases'] = {
    evaluate: {completed: 0, failed: 0, other: 0, skipped: 0},
    train: {completed: 0, failed: 0, other: 0},
  }
  const starts: number[] = []
  const ends: number[] = []
  const dirOf = new Map((snap.variants ?? []).map((v) => [v.name, v.dir]))
  const variants = variantRuns(snap).map((v): VariantOutcome => {
    const verdict = verdicts.get(v.variant)
    for (const s of v.run?.stages ?? []) {
      if (s.started_at) starts.push(Date.parse(s.started_at))
      if (s.ended_at) ends.push(Date.parse(s.ended_at))
    }
    if (v.train) tally(phases.train, v.train.state)
    for (const s of v.evaluations) {
      if (skipped(v, s)) phases.evaluate.skipped++
      else tally(phases.evaluate, s.state)
    }
    const evalMs = v.evaluations.map(stageDuration).filter((d): d is number => d !== undefined)
    return {
      evaluation_ms: evalMs.length > 0 ? evalMs.reduce((a, b) => a + b, 0) : null,
      logs: v.run ? relativeToRoot(ws, runDir(dirOf.get(v.variant)!, v.run.run_id)) : null,
      metric: verdict?.metric ?? null,
      reason: verdict?.classification.reason ?? '',
      report:
        v.run?.report && existsSync(path.join(dirOf.get(v.variant)!, v.run.report))
          ? relativeToRoot(ws, path.join(dirOf.get(v.variant)!, v.run.report))
          : null,
      run_id: v.run?.run_id ?? null,
      state: v.run?.state ?? 'not launched',
      train_ms: stageDuration(v.train) ?? null,
      variant: v.variant,
      verdict: verdict?.classification.status ?? 'stale',
    }
  })
  const scored = variants.filter((v) => v.metric !== null).map((v) => ({...v, metric: v.metric!}))
  const best = scored.length > 0 ? bestVariant(scored, direction) : undefined
  const file = (name: string) =>
    existsSync(path.join(snap.dir, name)) ? relativeToRoot(ws, path.join(snap.dir, name)) : null
  return {
    best: best ? {metric: best.metric, variant: best.variant} : null,
    experiment: snap.name,
    launch_log: file(LAUNCH_LOG),
    metric_name: metric,
    next: [`exp compare ${snap.name}`, ...(best ? [`exp promote ${snap.name}/${best.variant}`] : [])],
    phases,
    summary_file: file(SUMMARY_FILE),
    total_ms: starts.length > 0 && ends.length > 0 ? Math.max(0, Math.max(...ends) - Math.min(...starts)) : null,
    variants,
  }
}

function tally(counts: {completed: number; failed: number; other: number}, state: RunState): void {
  if (state === 'completed') counts.completed++
  else if (state === 'failed') counts.failed++
  else counts.other++
}

import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {LaunchLogEntry} from '../launch/launch-log.js'
import {formatDuration} from '../lib/time.js'
import {isLive, type RunRecord, type RunState, type StageRecord} from '../runs/record.js'

/**
 * What happened in a sweep, derived from its variants' run records alone (pure): one transition per event, each with
 * a key that names it for ever (variant, run id, stage, state), so an observer appends only the keys not yet logged.
 * Phase entries (a phase starts, a phase ends with its counts) cover a set of runs named in their key: a relaunch of
 * some variants opens a new round of phases instead of being folded into the old one.
 */
export interface Transition extends LaunchLogEntry {
  key: string
  /** when it happened (ms): the stage's own start/end time when recorded, else when it was observed */
  at: number
}

/** One variant's current run (its newest) as the observers see it. */
export interface VariantRun {
  variant: string
  run?: RunRecord
  train?: StageRecord
  evaluations: StageRecord[]
}

export function variantRuns(sweep: ExperimentSnapshot): VariantRun[] {
  return (sweep.variants ?? []).map((v) => {
    const run = v.runs[0]
    return {
      evaluations: run?.stages.filter((s) => s.name !== 'train') ?? [],
      run,
      train: run?.stages.find((s) => s.name === 'train'),
      variant: v.name,
    }
  })
}

const ended = (s: StageRecord | undefined) => s !== undefined && !isLive(s.state)
const time = (iso: string | undefined, fallback: number) => {
  const t = Date.parse(iso ?? '')
  return Number.isNaN(t) ? fallback : t
}

/** An evaluation that ended without ever starting because its training did not complete. */
export function skipped(v: VariantRun, s: StageRecord): boolean {
  return !isLive(s.state) && s.state !== 'completed' && s.started_at === undefined && v.train?.state !== 'completed'
}

export function stageDuration(s: StageRecord | undefined): number | undefined {
  if (!s?.started_at || !s.ended_at) return undefined
  return Math.max(0, Date.parse(s.ended_at) - Date.parse(s.started_at))
}

function stageEntries(v: VariantRun, s: StageRecord, now: number): Transition[] {
  const base = `${v.variant}/${v.run!.run_id}/${s.name}`
  const what =
    s.name === 'train'
      ? 'training'
      : s.name === 'evaluate'
        ? 'evaluation'
        : `evaluation ${s.name.slice('evaluate:'.length)}`
  const prefix = s.name === 'train' ? 'TRAIN' : 'EVAL'
  const job = s.job_id ? `job ${s.job_id}` : `run ${v.run!.run_id}`
  const out: Transition[] = []
  if (skipped(v, s)) {
    out.push({
      action: `${prefix}_SKIPPED`,
      at: time(s.ended_at, now),
      description: `${v.variant}: ${what} not run`,
      details: s.reason ?? `training ${v.train?.state ?? 'did not complete'}`,
      key: `${base}/skipped`,
      result: 'SKIPPED',
    })
    return out
  }
  if (s.started_at)
    out.push({
      action: `${prefix}_STARTED`,
      at: time(s.started_at, now),
      description: `${v.variant}: ${what} started (${job})`,
      details: `log ${s.log}`,
      key: `${base}/started`,
      result: 'RUNNING',
    })
  if (ended(s)) {
    const took = stageDuration(s)
    const details = [
      took === undefined ? undefined : `duration ${formatDuration(took)}`,
      s.exit_code === undefined || s.exit_code === null ? undefined : `exit code ${s.exit_code}`,
      s.reason,
    ]
      .filter(Boolean)
      .join('; ')
    out.push({
      action: `${prefix}_${s.state.toUpperCase()}`,
      at: time(s.ended_at, now),
      description: `${v.variant}: ${what} ${s.state} (${job})`,
      details: details || undefined,
      key: `${base}/${s.state}`,
      result: s.state.toUpperCase(),
    })
  }
  return out
}

type Phase = 'train' | 'evaluate'
const PHASE_NAME: Record<Phase, string> = {evaluate: 'Evaluation', train: 'Training'}

/** The runs a logged phase-end key covers: `phase:<p>:end:<id>,<id>…`. */
function coveredRuns(logged: Set<string>, phase: Phase): Set<string> {
  const prefix = `phase:${phase}:end:`
  return new Set([...logged].filter((k) => k.startsWith(prefix)).flatMap((k) => k.slice(prefix.length).split(',')))
}

function phaseEntries(runs: VariantRun[], phase: Phase, logged: Set<string>, now: number): Transition[] {
  const covered = coveredRuns(logged, phase)
  const open = runs.filter((v) => v.run && !covered.has(v.run.run_id))
  const stages = (v: VariantRun) => (phase === 'train' ? (v.train ? [v.train] : []) : v.evaluations)
  const out: Transition[] = []
  const started = open.flatMap((v) =>
    stages(v)
      .filter((s) => s.started_at)
      .map((s) => ({at: time(s.started_at, now), id: v.run!.run_id})),
  )
  const opened = open.some((v) => logged.has(`phase:${phase}:start:${v.run!.run_id}`))
  if (!opened && started.length > 0) {
    const first = started.reduce((a, b) => (b.at < a.at ? b : a))
    out.push({
      action: 'PHASE_START',
      at: first.at,
      description: `${PHASE_NAME[phase]} phase started`,
      details: `${open.length} variant(s) in this round`,
      key: `phase:${phase}:start:${first.id}`,
    })
  }
  const all = open.flatMap(stages)
  // the round ends once nothing of it is live and no variant waits without a run (or every variant has one)
  const nothingLive = !runs.some((v) => v.run && isLive(v.run.state))
  if (open.length === 0 || all.length === 0 || !all.every(ended) || !(nothingLive || runs.every((v) => v.run)))
    return out
  const count = (state: RunState) =>
    open.flatMap((v) => stages(v).filter((s) => s.state === state && !skipped(v, s))).length
  const skips = open.flatMap((v) => stages(v).filter((s) => skipped(v, s))).length
  const other = all.length - skips - count('completed') - count('failed')
  const jobs = all.length - skips
  const starts = all.map((s) => time(s.started_at, Number.NaN)).filter((t) => !Number.isNaN(t))
  const ends = all.map((s) => time(s.ended_at, now))
  const end = Math.max(...ends)
  const details = [
    starts.length > 0 ? `duration ${formatDuration(end - Math.min(...starts))}` : undefined,
    skips > 0 ? `${skips} SKIPPED (training did not complete)` : undefined,
    other > 0 ? `${other} CANCELLED or INTERRUPTED` : undefined,
  ].filter((d): d is string => d !== undefined)
  out.push({
    action: 'PHASE_COMPLETE',
    at: end,
    description: `${PHASE_NAME[phase]} phase: ${jobs} jobs completed - ${count('completed')} COMPLETED, ${count('failed')} FAILED`,
    details,
    key: `phase:${phase}:end:${open.map((v) => v.run!.run_id).join(',')}`,
  })
  return out
}

/** The combined status of the sweep once no variant has a live run. */
function doneEntry(sweep: ExperimentSnapshot, runs: VariantRun[], now: number): Transition[] {
  const withRun = runs.filter((v) => v.run)
  if (withRun.length === 0 || withRun.some((v) => isLive(v.run!.state))) return []
  const ok = withRun.filter((v) => v.run!.state === 'completed').length
  const trained = withRun.filter((v) => v.train?.state === 'completed').length
  const evaluated = withRun.filter(
    (v) => v.evaluations.length > 0 && v.evaluations.every((s) => s.state === 'completed'),
  ).length
  const never = runs.length - withRun.length
  const at = Math.max(...withRun.flatMap((v) => v.run!.stages.map((s) => time(s.ended_at, now))))
  const first = Math.min(...withRun.map((v) => time(v.run!.created_at, now)))
  const status = ok === runs.length ? 'SUCCESS' : ok === 0 ? 'FAILED' : 'PARTIAL'
  return [
    {
      action: 'SWEEP_COMPLETE',
      at,
      description: `${sweep.name}: ${ok}/${runs.length} variants completed`,
      details: [
        `training ${trained}/${withRun.length} completed; evaluation ${evaluated}/${withRun.length} completed`,
        `total ${formatDuration(at - first)}`,
        ...(never > 0 ? [`${never} variant(s) never launched`] : []),
      ],
      key: `done:${withRun.map((v) => v.run!.run_id).join(',')}`,
      result: status,
    },
  ]
}

/** Discovery of the variants and the check of their scaffolding (config.yaml present, setup not failed). */
function scaffoldEntries(sweep: ExperimentSnapshot, at: number): Transition[] {
  const names = (sweep.variants ?? []).map((v) => v.name)
  const id = `${names.length}:${names.join(',')}`
  const failedSetup = new Set(sweep.sweep?.variants.filter((v) => v.setup === 'failed').map((v) => v.name))
  const problems = (sweep.variants ?? []).flatMap((v) => [
    ...(v.hasConfig ? [] : [`${v.name}: no config.yaml`]),
    ...(failedSetup.has(v.name) ? [`${v.name}: setup failed`] : []),
  ])
  const ready = names.filter((n) => !problems.some((p) => p.startsWith(`${n}:`))).length
  return [
    {
      action: 'DISCOVER',
      at,
      description: `sweep ${sweep.name}: ${names.length} variants in sweep.yaml`,
      details: names.join(', '),
      key: `discover:${id}`,
      result: `${names.length} variants found`,
    },
    {
      action: 'VERIFY',
      at,
      description: `scaffolding of ${names.length} variants (config.yaml, setup)`,
      details: problems.length > 0 ? problems : undefined,
      key: `verify:${id}`,
      result: `${ready}/${names.length} variants ready`,
    },
  ]
}

/** Every transition of the sweep not in `logged`, in the order to append them (scaffolding first, then by time). */
export function sweepTransitions(sweep: ExperimentSnapshot, logged: Set<string>, now: Date): Transition[] {
  const nowMs = now.getTime()
  const runs = variantRuns(sweep)
  const events: Transition[] = []
  for (const v of runs) {
    if (!v.run) continue
    const stages = [v.train, ...v.evaluations].filter((s): s is StageRecord => s !== undefined)
    const job = stages
      .map((s) => s.job_id)
      .filter(Boolean)
      .join(', ')
    events.push({
      action: 'SUBMIT',
      at: time(v.run.created_at, nowMs),
      description: `${v.variant}: run ${v.run.run_id} submitted (${v.run.backend})`,
      details: job ? `jobs ${job}` : undefined,
      key: `${v.variant}/${v.run.run_id}/submitted`,
      result: 'QUEUED',
    })
    for (const s of stages) events.push(...stageEntries(v, s, nowMs))
  }
  events.push(
    ...phaseEntries(runs, 'train', logged, nowMs),
    ...phaseEntries(runs, 'evaluate', logged, nowMs),
    ...doneEntry(sweep, runs, nowMs),
  )
  const fresh = events.filter((e) => !logged.has(e.key)).sort((a, b) => a.at - b.at || rank(a) - rank(b))
  const first = Math.min(nowMs, ...events.map((e) => e.at))
  return [...scaffoldEntries(sweep, first).filter((e) => !logged.has(e.key)), ...fresh]
}

/** Within one instant: submissions and starts before ends, phase summaries and the final status last. */
function rank(t: Transition): number {
  if (t.action === 'SWEEP_COMPLETE') return 5
  if (t.action === 'PHASE_COMPLETE') return 4
  if (t.action === 'PHASE_START') return 1
  if (t.action === 'SUBMIT') return 0
  return t.action.endsWith('_STARTED') ? 2 : 3
}

import type {RunRecord, RunState, StageRecord} from '../../runs/record.js'
import {formatPrice, type OfferChoice, type VastOptions} from './offers.js'

/**
 * What a vast run keeps in `run.json` → `backend_data`, and the pure rules on it: how vast's `actual_status`
 * maps onto run states, and what the instances cost so far. No I/O here (unit-tested directly).
 */
export type AttemptOutcome =
  | 'offer-gone'
  | 'loading-timeout'
  | 'exited-without-marker'
  | 'host-lost'
  | 'vanished'
  | 'finished'
  | 'cancelled'
  | 'interrupted'

/** One offer exp tried to rent for this run, and what became of the instance. */
export interface VastAttempt {
  offer_id: number
  machine_id: number | null
  gpu: string
  num_gpus: number
  dph_total: number
  disk_dph: number
  /** when the create call was made (offer-gone attempts end at once) */
  at: string
  instance_id?: number
  created_at?: string
  /** first seen `running` */
  running_at?: string
  /** first seen stopped/exited */
  stopped_at?: string
  destroyed_at?: string
  uploaded_at?: string
  upload_error?: string
  /** the last look for the exit marker while the instance was still running */
  probed_at?: string
  /** the last actual_status seen (null = provisioning) */
  state?: string | null
  status_msg?: string | null
  ended_at?: string
  outcome?: AttemptOutcome
  reason?: string
  cost_usd?: number
  /** a sweep's instance shared with other variants' runs (vast/group.ts): this run pays its share */
  shared?: SharedInstance
}

/** What each run of a group keeps on the attempt whose instance it shares. */
export interface SharedInstance {
  /** the group's folder (its onstart.sh, payload/), relative to the run's experiment directory */
  dir: string
  /** the group's folder on the instance */
  remote_dir: string
  /** every run on the instance, in the order they run: its experiment directory (relative to this one) and id */
  runs: Array<{dir: string; run_id: string}>
  /** this run's part of the instance's cost: its time on the instance over all runs' (1/n until known) */
  share: number
  /** the instance has run every run of the group (exp-group arrived) */
  done?: boolean
}

export interface VastData {
  label: string
  query: string
  options: VastOptions
  /** the run's folder on the instance (as `vastai copy` addresses it) */
  remote_dir: string
  onstart: string
  job: string
  payload: {file: string; sha256: string; bytes: number}
  /** checkpoints land here after collect (relative to the experiment directory) */
  checkpoint_dir: string
  /** offers found at launch, cheapest first (tried in this order) */
  candidates: OfferChoice[]
  attempts: VastAttempt[]
  /** a create call in flight (a crash right after it is recovered by the label) */
  pending_create?: {offer_id: number; at: string}
  retried: boolean
  // the current instance, flattened for `exp runs` and --json readers
  offer_id?: number
  instance_id?: number
  machine_id?: number | null
  gpu?: string
  dph_total?: number
  state?: string | null
  started_at?: string
  cost_usd: number
  cost_updated_at?: string
  /** a sweep's shared instance: this run's part of its cost (vast/group.ts) */
  instance_share?: number
  /** the job's exit code, from the exit marker */
  exit_code?: number
  finished_at?: string
  collected_at?: string
  /** true while an instance of this run exists (and bills at least its disk) */
  instance_live: boolean
  /** one line for a person: what is still costing money and how to stop it */
  notice?: string
  /** the notice as copied into record.reason (so it can be taken back out once the instance is gone) */
  notice_in_reason?: string
}

export function vastData(record: RunRecord): VastData {
  return record.backend_data as unknown as VastData
}

/** The attempt whose instance is (or was last) this run's. */
export function currentAttempt(data: VastData): VastAttempt | undefined {
  for (let i = data.attempts.length - 1; i >= 0; i--)
    if (data.attempts[i].instance_id !== undefined) return data.attempts[i]
  return undefined
}

export type Phase = 'pending' | 'running' | 'stopped' | 'broken' | 'other'

/**
 * vast's container status → what exp does about it. null/created/loading: still starting (deadline applies);
 * running: the job runs; exited/stopped: it ended (look for the exit marker); unknown/offline: the host is gone
 * ("will never reach running"); frozen/rebooting: wait.
 */
export function phaseOf(actualStatus: unknown): Phase {
  if (actualStatus === null || actualStatus === undefined || actualStatus === 'created' || actualStatus === 'loading')
    return 'pending'
  if (actualStatus === 'running') return 'running'
  if (actualStatus === 'exited' || actualStatus === 'stopped') return 'stopped'
  if (actualStatus === 'unknown' || actualStatus === 'offline') return 'broken'
  return 'other'
}

const HOUR = 3_600_000

function hours(from: string | undefined, to: number): number {
  const t = Date.parse(from ?? '')
  return Number.isNaN(t) ? 0 : Math.max(0, to - t) / HOUR
}

/**
 * An estimate of what one instance cost: its disk from creation until destroyed, plus the GPU part of the price
 * from when it was first seen running until it stopped (vast bills the GPU only while running).
 */
export function attemptCost(a: VastAttempt, now: Date): number {
  if (!a.created_at) return 0
  const end = (t?: string) => (t ? Math.min(Date.parse(t), now.getTime()) : now.getTime())
  const gone = end(a.destroyed_at ?? a.ended_at)
  const disk = a.disk_dph * hours(a.created_at, gone)
  const gpuStart = a.running_at ?? (a.stopped_at ? a.created_at : undefined)
  const gpu = gpuStart ? Math.max(0, a.dph_total - a.disk_dph) * hours(gpuStart, Math.min(end(a.stopped_at), gone)) : 0
  return disk + gpu
}

export function totalCost(data: VastData, now: Date): number {
  return (
    Math.round(data.attempts.reduce((sum, a) => sum + attemptCost(a, now) * (a.shared?.share ?? 1), 0) * 10_000) /
    10_000
  )
}

/** Refresh the flattened fields, the cost and the notice from the attempts. */
export function summarize(record: RunRecord, now: Date): void {
  const data = vastData(record)
  for (const a of data.attempts)
    if (a.created_at) a.cost_usd = Math.round(attemptCost(a, now) * (a.shared?.share ?? 1) * 10_000) / 10_000
  data.cost_usd = totalCost(data, now)
  data.cost_updated_at = now.toISOString()
  const cur = currentAttempt(data)
  if (cur) {
    data.offer_id = cur.offer_id
    data.instance_id = cur.instance_id
    data.machine_id = cur.machine_id
    data.gpu = cur.num_gpus > 1 ? `${cur.num_gpus}x ${cur.gpu}` : cur.gpu
    data.dph_total = cur.dph_total
    data.state = cur.destroyed_at ? 'destroyed' : (cur.state ?? null)
    data.started_at = cur.created_at
    if (cur.shared) data.instance_share = Math.round(cur.shared.share * 10_000) / 10_000
  }
  data.instance_live = Boolean(cur && !cur.destroyed_at && cur.outcome !== 'vanished')
  const notice = noticeFor(record, data, cur)
  if (notice) data.notice = notice
  else delete data.notice
  // `exp runs` shows a finished run's own reason: for a completed run whose instance still exists, that is the bill
  if (data.notice_in_reason && record.reason === data.notice_in_reason) delete record.reason
  delete data.notice_in_reason
  if (record.state === 'completed' && data.notice && !record.reason) {
    record.reason = data.notice
    data.notice_in_reason = data.notice
  }
}

function noticeFor(record: RunRecord, data: VastData, cur: VastAttempt | undefined): string | undefined {
  if (!cur || !data.instance_live) return undefined
  const id = cur.instance_id
  if (record.state === 'queued' || record.state === 'running') {
    return `instance ${id} bills ${formatPrice(cur.dph_total)} while it runs and stops itself when the job ends (exp cancel ${record.experiment} destroys it now)`
  }
  const since = cur.stopped_at ? ` since ${cur.stopped_at.replace(/\.\d+Z$/, 'Z')}` : ''
  const how =
    data.collected_at || !data.options.auto_shutdown
      ? `vastai destroy instance ${id} -y`
      : `exp collect ${record.experiment} brings the results home and destroys it`
  return `instance ${id} is stopped${since} and still bills its disk (~${formatPrice(cur.disk_dph)}) until destroyed: ${how}`
}

/** Stage updates ------------------------------------------------------------------------------------------------ */

export function setStages(stages: StageRecord[], fn: (s: StageRecord, i: number) => StageRecord): StageRecord[] {
  return stages.map((s, i) => fn({...s}, i))
}

/** All stages back to queued (a retry starts over on a new instance). */
export function requeue(stages: StageRecord[]): StageRecord[] {
  return setStages(stages, (s) => ({command: s.command, cwd: s.cwd, log: s.log, name: s.name, state: 'queued'}))
}

/** The first stage runs (exp cannot see the stage boundary on the instance until the results come home). */
export function markRunning(stages: StageRecord[], at: string): StageRecord[] {
  return setStages(stages, (s, i) =>
    i === 0 && s.state === 'queued' ? {...s, started_at: s.started_at ?? at, state: 'running'} : s,
  )
}

/** End every live stage: the first with `state` and the reason, the later ones `cancelled` (never run). */
export function endLiveStages(stages: StageRecord[], state: RunState, reason: string, at: string): StageRecord[] {
  let first = true
  return setStages(stages, (s) => {
    if (s.state !== 'queued' && s.state !== 'running') return s
    if (first) {
      first = false
      return {...s, ended_at: at, reason, state}
    }
    return {
      ...s,
      ended_at: at,
      reason: state === 'failed' ? 'not run' : reason,
      state: state === 'failed' ? 'cancelled' : state,
    }
  })
}

/** The exit marker `exp-exit`: the job's code on line 1, an optional reason on line 2. */
export function parseMarker(text: string): {code: number; reason?: string} | undefined {
  const [first, second] = text.split('\n')
  if (!/^\s*-?\d+\s*$/.test(first ?? '')) return undefined
  const reason = second?.trim()
  return {code: Number(first.trim()), reason: reason || undefined}
}

/**
 * Finish the stages from the exit marker and the per-stage codes: 0 → completed, other → failed with its code; a
 * stage without a code did not run (after a failed stage: cancelled; otherwise failed with the marker's reason).
 */
export function finishStages(
  stages: StageRecord[],
  marker: {code: number; reason?: string},
  stageCodes: Record<string, number | undefined>,
  times: {start?: string; end: string},
): StageRecord[] {
  let failedBefore: string | undefined
  return setStages(stages, (s) => {
    const code = stageCodes[s.name]
    const base = {...s, ended_at: times.end, started_at: s.started_at ?? times.start}
    if (code !== undefined) {
      if (code !== 0) failedBefore ??= s.name
      return code === 0 ? {...base, exit_code: 0, state: 'completed'} : {...base, exit_code: code, state: 'failed'}
    }
    if (failedBefore)
      return {...base, reason: `not run: ${failedBefore} failed`, started_at: undefined, state: 'cancelled'}
    failedBefore = s.name
    const reason =
      marker.reason ??
      (marker.code === 0
        ? 'did not run (no exit code on the instance)'
        : `the job exited with code ${marker.code} before this stage`)
    return {...base, exit_code: marker.code === 0 ? null : marker.code, reason, state: 'failed'}
  })
}

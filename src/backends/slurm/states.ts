import type {RunState} from '../../runs/record.js'

/**
 * SLURM job states → exp run states. Anything SLURM still holds in its queue is queued or running; the rest is an
 * outcome. Unknown states (a newer SLURM) count as running while the job is in the queue, so exp never calls a job
 * finished that is not.
 */
const STATE_MAP: Record<string, RunState> = {
  BOOT_FAIL: 'failed',
  CANCELLED: 'cancelled',
  COMPLETED: 'completed',
  COMPLETING: 'running',
  CONFIGURING: 'queued',
  DEADLINE: 'failed',
  FAILED: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  PENDING: 'queued',
  PREEMPTED: 'interrupted',
  REQUEUED: 'queued',
  REQUEUE_FED: 'queued',
  REQUEUE_HOLD: 'queued',
  RESIZING: 'running',
  RESV_DEL_HOLD: 'queued',
  REVOKED: 'cancelled',
  RUNNING: 'running',
  SIGNALING: 'running',
  SPECIAL_EXIT: 'failed',
  STAGE_OUT: 'running',
  STOPPED: 'running',
  SUSPENDED: 'running',
  TIMEOUT: 'interrupted',
}

/** `CANCELLED by 0` (sacct) and `CANCELLED+` (truncated) are CANCELLED. */
export function normaliseSlurmState(raw: string): string {
  return raw.trim().split(/[\s+]/)[0].toUpperCase()
}

export function mapSlurmState(raw: string): RunState {
  return STATE_MAP[normaliseSlurmState(raw)] ?? 'running'
}

export function isTerminalSlurmState(raw: string): boolean {
  const state = STATE_MAP[normaliseSlurmState(raw)]
  return state !== undefined && state !== 'queued' && state !== 'running'
}

export interface SlurmJobState {
  id: string
  state: string
  reason: string
}

/** `squeue -h -o '%i|%T|%r'` lines → job id → state. Lines of other jobs (array tasks, …) are kept as they are. */
export function parseSqueue(stdout: string): Map<string, SlurmJobState> {
  const out = new Map<string, SlurmJobState>()
  for (const line of stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|')
    if (!id || !state) continue
    out.set(id, {id, reason: reason ?? '', state: normaliseSlurmState(state)})
  }
  return out
}

/** `sacct -X -n -P -o JobID,State,ExitCode` lines → job id → state (the reason field carries the exit code). */
export function parseSacct(stdout: string): Map<string, SlurmJobState & {exitCode?: string}> {
  const out = new Map<string, SlurmJobState & {exitCode?: string}>()
  for (const line of stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|')
    if (!id || !state || id.includes('.')) continue
    out.set(id, {exitCode, id, reason: '', state: normaliseSlurmState(state)})
  }
  return out
}

/** `scontrol -o show job ID`: one line of Key=Value fields; the ones exp needs. */
export function parseScontrolJob(line: string): {state?: string; reason?: string; exitCode?: string} {
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1]
  const state = field('JobState')
  return {exitCode: field('ExitCode'), reason: field('Reason'), state: state ? normaliseSlurmState(state) : undefined}
}

/** `3:0` → 3; `0:15` → null with signal 15. */
export function parseExitCode(text: string | undefined): {code: number | null; signal: number | null} | undefined {
  const m = /^(\d+):(\d+)$/.exec(text ?? '')
  if (!m) return undefined
  const signal = Number(m[2])
  return signal ? {code: null, signal} : {code: Number(m[1]), signal: null}
}

/** A start or end record the job wrote: `key=value` lines. */
export function parseRecordFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return out
}

export interface EndRecord {
  exitCode: number
  endedAt?: string
  jobId: string
  /** the script caught SIGTERM (scancel, time limit, preemption): the engine did not end on its own */
  signal?: string
  /** why the job failed before or after its engine (exp's checkpoint step), one line */
  reason?: string
}

export function parseEndRecord(text: string): EndRecord | undefined {
  const fields = parseRecordFile(text)
  if (!/^\d+$/.test(fields.exit_code ?? '')) return undefined
  return {
    endedAt: fields.ended_at || undefined,
    exitCode: Number(fields.exit_code),
    jobId: fields.job_id ?? '',
    signal: fields.signal || undefined,
    ...(fields.reason ? {reason: fields.reason} : {}),
  }
}

/** Words for a job state and its reason: `TIMEOUT (TimeLimit)`. */
export function describeSlurm(job: {state: string; reason?: string}): string {
  return job.reason && job.reason !== 'None' ? `${job.state} (${job.reason})` : job.state
}

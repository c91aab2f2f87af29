import type {z as Z} from 'zod'

/*
 * The zod schema of run.json: the fields every run has, then `backend_data` as the part that differs per backend
 * (the union is discriminated by `backend`). Every object is loose: a field exp does not know is kept as it is.
 * Built from the zod module on first use (records/run.ts loads it when a record is read by a service or written,
 * never on the scan of `exp list`).
 */

/** The schema, built from the zod module `z`. */
export function runSchemaOf(z: typeof Z) {
  const state = z.enum(['queued', 'running', 'completed', 'failed', 'interrupted', 'cancelled'])
  const time = z.string()
  const stage = z.looseObject({
    name: z.string().regex(/^(train|evaluate|finetune|evaluate:.+)$/, 'is not a stage name'),
    state,
    command: z.array(z.string()),
    cwd: z.string(),
    log: z.string(),
    started_at: time.optional(),
    ended_at: time.optional(),
    exit_code: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    pid: z.number().int().optional(),
    pid_start: z.string().optional(),
    job_id: z.string().optional(),
    reason: z.string().optional(),
    checkpoint: z.looseObject({}).optional(),
  })
  const base = {
    schema: z.literal(1),
    run_id: z.string(),
    experiment: z.string(),
    created_at: time,
    updated_at: time,
    state,
    stages: z.array(stage),
    supervisor_pid: z.number().int().optional(),
    supervisor_start: z.string().optional(),
    boot_id: z.string().optional(),
    host: z.string().optional(),
    report: z.string().optional(),
    reports: z.record(z.string(), z.string()).optional(),
    checkpoint: z.string().optional(),
    reason: z.string().optional(),
    config_sha256: z.string().optional(),
    not_started: z.boolean().optional(),
  }
  // local: the process identities are the run's own fields (supervisor_*, boot_id, stages[].pid); nothing else is kept
  const local = z.looseObject({})
  // slurm: one batch script per stage and the job id sbatch answered (an array job's id is `<job>_<task>`)
  const slurmJob = z.looseObject({script: z.string(), id: z.string().optional(), cluster: z.string().optional()})
  const slurm = z.looseObject({jobs: z.record(z.string(), slurmJob).optional()})
  const vast = z.looseObject(vastFields(z))
  return z.discriminatedUnion('backend', [
    z.looseObject({...base, backend: z.literal('local'), backend_data: local.optional()}),
    z.looseObject({...base, backend: z.literal('slurm'), backend_data: slurm.optional()}),
    z.looseObject({...base, backend: z.literal('vast'), backend_data: vast.optional()}),
  ])
}

/** What a vast run keeps (backends/vast/state.ts `VastData`): the offers, every rent attempt, the instance, the cost. */
function vastFields(z: typeof Z) {
  const num = z.number()
  const offer = z.looseObject({
    id: num,
    machine_id: num.nullable(),
    gpu: z.string(),
    num_gpus: num,
    dph_total: num,
    disk_dph: num,
  })
  const attempt = z.looseObject({
    offer_id: num,
    machine_id: num.nullable(),
    gpu: z.string(),
    num_gpus: num,
    dph_total: num,
    disk_dph: num,
    at: z.string(),
    instance_id: num.optional(),
    state: z.string().nullable().optional(),
    outcome: z.string().optional(),
    cost_usd: num.optional(),
  })
  return {
    label: z.string(),
    query: z.string(),
    options: z.looseObject({}),
    remote_dir: z.string(),
    onstart: z.string(),
    job: z.string(),
    payload: z.looseObject({file: z.string(), sha256: z.string(), bytes: num}),
    checkpoint_dir: z.string(),
    candidates: z.array(offer),
    attempts: z.array(attempt),
    pending_create: z.looseObject({offer_id: num, at: z.string()}).optional(),
    retried: z.boolean(),
    offer_id: num.optional(),
    instance_id: num.optional(),
    machine_id: num.nullable().optional(),
    gpu: z.string().optional(),
    dph_total: num.optional(),
    state: z.string().nullable().optional(),
    cost_usd: num,
    exit_code: num.int().optional(),
    instance_live: z.boolean(),
    notice: z.string().optional(),
    notice_in_reason: z.string().optional(),
  }
}

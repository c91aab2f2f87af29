import os from 'node:os'
import path from 'node:path'

import {identify} from '../lib/process-identity.js'
import {type BackendName, type RunRecord, supervisorFields} from '../runs/record.js'
import type {LaunchRequest} from '../backends/backend.js'

/**
 * The run record as it stands before anything started: every stage `queued`, with the exact argument list, its
 * working directory and its log (relative to the experiment directory). `exp launch` writes it under the workspace
 * lock; backends start from it in `prepare` and add what they know (job ids, offers) to `backend_data`.
 */
export function queuedRecord(request: LaunchRequest, backend: BackendName): RunRecord {
  const now = request.now().toISOString()
  const rel = (p: string) => path.relative(request.experiment.dir, p)
  const record: RunRecord = {
    backend,
    created_at: now,
    experiment: request.experiment.name,
    host: os.hostname(),
    run_id: request.runId,
    schema: 1,
    stages: request.stages.map((s) => ({
      command: [...s.argv],
      cwd: s.cwd,
      log: rel(s.log),
      name: s.name,
      state: 'queued' as const,
    })),
    state: 'queued',
    // the exp process that launched it supervises it until a backend hands it on (local --detach, a SLURM job id)
    ...supervisorFields(identify()),
    updated_at: now,
  }
  if (request.reports)
    record.reports = Object.fromEntries(Object.entries(request.reports).map(([name, file]) => [name, rel(file)]))
  else if (request.stages.some((s) => s.name === 'evaluate')) record.report = rel(request.report)
  record.checkpoint = rel(request.checkpointDir)
  if (request.configSha256) record.config_sha256 = request.configSha256
  return record
}

import os from 'node:os'

import {isProcessAlive} from '../../lib/process-alive.js'
import {isLive, type RunRecord, writeRun} from '../../runs/record.js'
import type {Backend, BackendContext, RunRef} from '../backend.js'

/**
 * A local run is alive while the exp process supervising it is. When that process is gone (SIGKILL, a reboot)
 * but the record still says queued/running, the run was interrupted: say so, never "running forever".
 */
async function refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]> {
  const out: RunRecord[] = []
  for (const {experimentDir, record} of runs) {
    if (!isLive(record.state) || (record.host && record.host !== os.hostname()) || isProcessAlive(record.supervisor_pid)) {
      out.push(record)
      continue
    }
    const now = context.now()
    const reason = `exp process (PID ${record.supervisor_pid ?? '?'}) is gone`
    const stages = record.stages.map((s) => (isLive(s.state) ? {...s, ended_at: s.ended_at ?? now.toISOString(), reason, state: 'interrupted' as const} : s))
    out.push(await writeRun(experimentDir, {...record, reason, stages}, now))
  }
  return out
}

export const localBackend: Pick<Backend, 'name' | 'refresh'> = {name: 'local', refresh}

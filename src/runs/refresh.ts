import type {BackendContext, RunRef} from '../launch/backend.js'
import {loadBackend} from '../launch/backends/registry.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {type BackendName, isLive, type RunRecord} from './record.js'

/**
 * Bring the live runs of many experiments up to date, one backend call per backend (never one per run), and put
 * the refreshed records back into the snapshots. Backends persist what changed in run.json.
 */
export async function refreshLiveRuns(snapshots: ExperimentSnapshot[], context: BackendContext): Promise<void> {
  const byBackend = new Map<BackendName, RunRef[]>()
  for (const snap of snapshots) {
    for (const record of snap.runs) {
      if (!isLive(record.state)) continue
      const list = byBackend.get(record.backend) ?? []
      list.push({experimentDir: snap.dir, record})
      byBackend.set(record.backend, list)
    }
  }
  for (const [name, refs] of byBackend) {
    const backend = await loadBackend(name)
    const updated = await backend.refresh(refs, context)
    const byId = new Map<string, RunRecord>(updated.map((r) => [`${r.experiment}/${r.run_id}`, r]))
    for (const snap of snapshots) {
      snap.runs = snap.runs.map((r) => byId.get(`${r.experiment}/${r.run_id}`) ?? r)
    }
  }
}

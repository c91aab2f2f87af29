import {filesystemError} from '../errors.js'
import type {BackendContext, RunRef} from '../backends/backend.js'
import {loadBackend} from '../backends/registry.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {type BackendName, isLive, type RunRecord} from './record.js'

/**
 * Bring the live runs of many experiments up to date, one backend call per backend (never one per run), and put
 * the refreshed records back into the snapshots. Backends persist what changed in run.json.
 */
export async function refreshLiveRuns(
  snapshots: Array<Pick<ExperimentSnapshot, 'dir' | 'runs'>>,
  context: BackendContext,
): Promise<void> {
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
    let updated: RunRecord[]
    try {
      updated = await backend.refresh(refs, context)
    } catch (error) {
      // a read-only command still lists when the disk is full (or read-only): the records as they were read
      const problem = filesystemError(error)
      if (!problem) throw error
      context.log(
        `Warning: the state of ${refs.length} ${name} run(s) could not be brought up to date: ${problem.message}`,
      )
      continue
    }
    const byId = new Map<string, RunRecord>(updated.map((r) => [`${r.experiment}/${r.run_id}`, r]))
    for (const snap of snapshots) {
      snap.runs = snap.runs.map((r) => byId.get(`${r.experiment}/${r.run_id}`) ?? r)
    }
  }
}

import path from 'node:path'

import {listExperimentNames} from '../experiments/resolve.js'
import type {Workspace} from '../workspace/workspace.js'
import {describeHolder, inspectLeases} from './lease.js'
import {EXPERIMENTS_DIR, type Remote, rcloneLeaseStore} from './remote.js'
import {localCheckpoints, remoteExperiments, walkFiles} from './sync.js'

/** `exp remote status`: the remote, its lease holders, and each experiment local-only / remote-only / different / same. */
export type SyncState = 'local-only' | 'remote-only' | 'different' | 'same'

export interface ExperimentSync {
  name: string
  state: SyncState
  /** files on one side only, or of another size (relative paths; checkpoints as checkpoints/<run-id>/) */
  local_only: string[]
  remote_only: string[]
  different: string[]
}

export interface RemoteStatus {
  remote: string
  leases: {name: string; holder: string; state: string; expires: string | null}[]
  experiments: ExperimentSync[]
}

export async function remoteStatus(ws: Workspace, remote: Remote, now: Date): Promise<RemoteStatus> {
  const {rclone} = remote
  const leases = await inspectLeases(rcloneLeaseStore(rclone), now.getTime(), remote.leaseSeconds * 1000)
  const local = new Set((await listExperimentNames(ws, 'experiments')).map((l) => l.name))
  const remoteNames = new Set(await remoteExperiments(remote))
  const names = [...new Set([...local, ...remoteNames])].sort()
  const experiments: ExperimentSync[] = []
  for (const name of names) {
    const dir = path.join(ws.paths.experiments, name)
    const mine = new Map<string, number>()
    if (local.has(name)) {
      for (const f of await walkFiles(dir, 'checkpoints')) mine.set(f.path, f.size)
      for (const run of await localCheckpoints(dir)) mine.set(`checkpoints/${run}/`, -1)
    }
    const theirs = new Map<string, number>()
    if (remoteNames.has(name)) {
      for (const e of await rclone.list(`${EXPERIMENTS_DIR}/${name}`, {recursive: true})) {
        const top = e.Path.split('/')
        if (top[0] !== 'checkpoints' && !e.IsDir) theirs.set(e.Path, e.Size)
        else if (top[0] === 'checkpoints' && top.length === 2 && e.IsDir && !top[1].startsWith('.'))
          theirs.set(`${e.Path}/`, -1)
      }
    }
    const entry: ExperimentSync = {different: [], local_only: [], name, remote_only: [], state: 'same'}
    for (const [p, size] of mine) {
      if (!theirs.has(p)) entry.local_only.push(p)
      else if (theirs.get(p) !== size) entry.different.push(p)
    }
    for (const p of theirs.keys()) if (!mine.has(p)) entry.remote_only.push(p)
    entry.state = !remoteNames.has(name)
      ? 'local-only'
      : !local.has(name)
        ? 'remote-only'
        : entry.local_only.length + entry.remote_only.length + entry.different.length > 0
          ? 'different'
          : 'same'
    experiments.push(entry)
  }
  return {
    experiments,
    leases: leases.map((l) => ({
      expires: l.body?.expires ?? null,
      holder: describeHolder(l.body, l.name),
      name: l.name,
      state: l.state,
    })),
    remote: rclone.path(),
  }
}

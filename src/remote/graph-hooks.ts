import {existsSync} from 'node:fs'
import path from 'node:path'

import {experimentDir} from '../graph/reconcile.js'
import type {NodeHooks} from '../graph/runner.js'
import {checkpointSource} from '../graph/schedule.js'
import {runPaths} from '../launch/engines.js'
import type {Workspace} from '../workspace/workspace.js'
import {fetchCheckpoint} from './checkpoint-sync.js'
import {openRemote} from './remote.js'
import {pullExperiments, pushExperiments} from './sync.js'

/**
 * A graph runner's remote work, when exp.yaml configures a remote (else none): before a finetune or eval whose input
 * checkpoint is not here, the producing experiment's small files (when this machine never had it) and its checkpoint
 * are downloaded and verified against MANIFEST.json; after a run ends, its experiment (small files and checkpoints)
 * is pushed, so another machine can take the next node. A failed push fails a completed node: its checkpoint is not
 * shared, so nothing downstream could use it elsewhere.
 */
export async function remoteNodeHooks(ws: Workspace, log: (line: string) => void): Promise<NodeHooks | undefined> {
  if (!ws.settings.remote?.rclone_remote) return undefined
  const remote = openRemote(ws)
  return {
    async afterRun(node, experiment) {
      const name = experiment.split('/')[0]
      const [pushed] = await pushExperiments(ws, remote, {names: [name]})
      const uploaded = pushed.checkpoints.filter((c) => c.outcome === 'uploaded').map((c) => c.run_id)
      log(
        `${node.id}: pushed ${name} to ${remote.rclone.path(`experiments/${name}`)} (${pushed.files} file(s)${uploaded.length ? `, checkpoint ${uploaded.join(', ')}` : ''})`,
      )
    },
    async beforeLaunch(node, doc) {
      const {source} = checkpointSource(doc, node)
      const from = source ? doc.nodes[source] : undefined
      const run = from?.runs?.at(-1)
      if (!from?.experiment || !run) return // launchNode names what is missing
      const dir = experimentDir(ws, from)
      if (existsSync(path.join(dir, runPaths(run).checkpointDir))) return
      const name = path.basename(dir)
      if (!existsSync(dir)) await pullExperiments(ws, remote, {names: [name]})
      const got = await fetchCheckpoint(remote.rclone, {experiment: name, experimentDir: dir, runId: run})
      log(
        `${node.id}: input checkpoint ${name}/checkpoints/${run} downloaded from the remote and verified (${got.files} file(s), ${got.bytes} bytes)`,
      )
    },
  }
}

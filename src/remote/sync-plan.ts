import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Workspace} from '../workspace/workspace.js'
import {remoteCheckpoints} from './checkpoint-sync.js'
import {EXPERIMENTS_DIR, type Remote} from './remote.js'
import {localCheckpoints, localExperiments, remoteExperiments, walkFiles} from './sync.js'

/**
 * `exp remote push --dry-run` / `pull --dry-run`: what a push or pull would copy, from listings only (the local
 * folders, `rclone lsjson` of the remote). Nothing is transferred, written or locked, here or on the remote.
 */
export interface PushPlan {
  name: string
  files: number
  bytes: number
  /** every local checkpoint; `upload` false when the remote already has a folder of that run */
  checkpoints: {run_id: string; upload: boolean}[]
}

export async function planPush(ws: Workspace, remote: Remote, names?: string[]): Promise<PushPlan[]> {
  const out: PushPlan[] = []
  for (const name of await localExperiments(ws, names)) {
    const dir = path.join(ws.paths.experiments, name)
    const files = await walkFiles(dir, 'checkpoints')
    const there = new Set(await remoteCheckpoints(remote.rclone, name))
    const checkpoints = (await localCheckpoints(dir)).map((run_id) => ({run_id, upload: !there.has(run_id)}))
    out.push({bytes: files.reduce((n, f) => n + f.size, 0), checkpoints, files: files.length, name})
  }
  return out
}

export interface PullPlan {
  name: string
  /** files missing here */
  add: string[]
  /** files that differ (size or time) where the remote copy is newer */
  update: string[]
  /** files that differ where the local copy is newer: a pull keeps them */
  keep_local: string[]
  /** with checkpoints: the remote checkpoints missing here */
  checkpoints: string[]
}

/** Files are told apart by size and modification time (a pull itself compares their bytes). */
export async function planPull(
  ws: Workspace,
  remote: Remote,
  options: {names?: string[]; checkpoints?: boolean},
): Promise<PullPlan[]> {
  const names = options.names?.length ? options.names : await remoteExperiments(remote)
  const out: PullPlan[] = []
  for (const name of names) {
    const dir = path.join(ws.paths.experiments, name)
    const plan: PullPlan = {add: [], checkpoints: [], keep_local: [], name, update: []}
    const entries = await remote.rclone.list(`${EXPERIMENTS_DIR}/${name}`, {filesOnly: true, recursive: true})
    for (const e of entries.filter((e) => !e.Path.startsWith('checkpoints/'))) {
      const local = path.join(dir, e.Path)
      if (!existsSync(local)) {
        plan.add.push(e.Path)
        continue
      }
      const stat = statSync(local)
      const remoteMs = Date.parse(e.ModTime)
      if (stat.size === e.Size && Math.abs(stat.mtimeMs - remoteMs) < 1000) continue
      ;(remoteMs > stat.mtimeMs ? plan.update : plan.keep_local).push(e.Path)
    }
    if (options.checkpoints) {
      const have = new Set(await localCheckpoints(dir))
      plan.checkpoints = (await remoteCheckpoints(remote.rclone, name)).filter((id) => !have.has(id))
    }
    out.push(plan)
  }
  return out
}

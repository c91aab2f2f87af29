import os from 'node:os'

import {ExpError} from '../errors.js'
import type {Workspace} from '../workspace/workspace.js'
import {acquireLease, type Lease, type LeaseBody, type LeaseOptions, type LeaseStore} from './lease.js'
import {normaliseTarget, Rclone} from './rclone.js'

/**
 * The configured remote of a workspace: exp.yaml's `remote:` section, with `--rclone-remote` / `--rclone-root`
 * winning. Layout on the remote: `<root>/work_graph.json`, `<root>/locks/`, `<root>/experiments/<name>/…`,
 * `<root>/experiments/<name>/checkpoints/<run-id>/…`.
 */
export const LOCKS_DIR = 'locks'
export const EXPERIMENTS_DIR = 'experiments'

export interface RemoteFlags {
  rcloneRemote?: string
  rcloneRoot?: string
}

export interface Remote {
  rclone: Rclone
  leaseSeconds: number
  settleSeconds: number
}

export function openRemote(ws: Workspace, flags: RemoteFlags = {}, env: NodeJS.ProcessEnv = process.env): Remote {
  const settings = ws.settings.remote
  const name = flags.rcloneRemote ?? settings?.rclone_remote
  if (!name) {
    throw new ExpError('no remote is configured for this workspace.', {
      code: 'REMOTE_NOT_CONFIGURED',
      exit: 2,
      suggestion: 'set remote.rclone_remote (and rclone_root) in exp.yaml, or pass --rclone-remote',
    })
  }
  const root = flags.rcloneRoot ?? settings?.rclone_root ?? ''
  return {
    leaseSeconds: settings?.lease_seconds ?? 60,
    rclone: new Rclone(normaliseTarget(name, root), env),
    settleSeconds: settings?.settle_seconds ?? 2,
  }
}

/** The lease folder on the remote, through rclone. */
export function rcloneLeaseStore(rclone: Rclone): LeaseStore {
  const rel = (name: string) => `${LOCKS_DIR}/${name}`
  let written = new Map<string, number>()
  return {
    list: async () => {
      const entries = await rclone.list(LOCKS_DIR, {filesOnly: true})
      written = new Map(entries.map((e) => [e.Name, Date.parse(e.ModTime)]))
      return entries.map((e) => e.Name)
    },
    written: (name) => written.get(name),
    read: async (name) => {
      const text = await rclone.read(rel(name))
      try {
        return text ? (JSON.parse(text) as LeaseBody) : undefined
      } catch {
        return undefined
      }
    },
    remove: (name) => rclone.remove(rel(name)),
    write: (name, body) => rclone.writeText(rel(name), JSON.stringify(body, null, 2) + '\n'),
  }
}

/** What every taker of this remote's lease passes (this machine, the remote's lease and settle times). */
export function remoteLeaseOptions(remote: Remote, command: string, warn?: (line: string) => void): LeaseOptions {
  return {
    command,
    host: os.hostname(),
    leaseSeconds: remote.leaseSeconds,
    pid: process.pid,
    settleSeconds: remote.settleSeconds,
    store: rcloneLeaseStore(remote.rclone),
    warn,
  }
}

/** Take the remote lease for `command`, run `fn` (which calls lease.assertHeld() before writing), release. */
export async function withRemoteLease<T>(
  remote: Remote,
  command: string,
  fn: (lease: Lease) => Promise<T>,
  warn?: (line: string) => void,
): Promise<T> {
  return holding(await acquireLease(remoteLeaseOptions(remote, command, warn)), fn)
}

/** Run `fn` while holding `lease`, then release it. */
export async function holding<T>(lease: Lease, fn: (lease: Lease) => Promise<T>): Promise<T> {
  try {
    return await fn(lease)
  } finally {
    await lease.release()
  }
}

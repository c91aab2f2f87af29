import {type GraphStore, localGraphStore} from './graph/store.js'
import type {Clock} from './lib/time.js'
import type {Workspace} from './workspace/workspace.js'

/*
 * What several commands open beside the workspace, each in one place; the modules load only when a command asks.
 */

/** The workspace's rclone remote: --rclone-remote / --rclone-root win over exp.yaml's remote section. */
export async function remoteOf(ws: Workspace, flags: {'rclone-remote'?: string; 'rclone-root'?: string}) {
  const {openRemote} = await import('./remote/remote.js')
  return openRemote(ws, {rcloneRemote: flags['rclone-remote'], rcloneRoot: flags['rclone-root']})
}

/**
 * The work graph's store: the workspace's file, or the remote's when the graph is shared — the remote store (rclone,
 * leases) loaded only then, so a local graph loads none of it.
 */
export async function graphOf(ws: Workspace, clock: Clock): Promise<GraphStore> {
  if (!ws.settings.remote?.rclone_remote) return localGraphStore(ws, clock)
  const {graphStore} = await import('./remote/graph-store.js')
  return graphStore(ws, clock)
}

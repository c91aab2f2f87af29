import type {Stats} from 'node:fs'
import path from 'node:path'

import {type CheckpointState, quickState} from './check.js'
import {CHECKPOINTS_DIR, type CheckpointEntry, isKnownTemporary, MANIFEST_FILE} from './manifest.js'

/** A checkpoint as listings show it: its quick state only (names and sizes against the manifest; nothing hashed). */
export interface CheckpointSummary {
  run_id: string
  /** relative to the experiment directory */
  path: string
  state: CheckpointState
  problems: string[]
}

/** What the experiment scan's walk collects under checkpoints/: per run id, the files and whether a manifest is there. */
export type CheckpointWalk = Map<string, {entries: CheckpointEntry[]; manifest: boolean}>

/** Called by the scan for every entry under `checkpoints/` (rel is relative to the experiment directory). */
export function walkedCheckpointEntry(walk: CheckpointWalk, rel: string, stats: Stats): void {
  const parts = rel.split('/')
  const runId = parts[1]
  if (parts.length === 2) {
    if (stats.isDirectory() && !runId.startsWith('.')) walk.set(runId, {entries: [], manifest: false})
    return
  }
  const folder = walk.get(runId)
  if (!folder || stats.isDirectory()) return
  const inner = parts.slice(2).join('/')
  if (inner === MANIFEST_FILE) folder.manifest = true
  else if (!isKnownTemporary(inner))
    folder.entries.push({kind: stats.isSymbolicLink() ? 'link' : 'file', path: inner, size: stats.size})
}

export function checkpointSummaries(experimentDir: string, walk: CheckpointWalk): CheckpointSummary[] {
  return [...walk.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([runId, folder]) => {
      const rel = `${CHECKPOINTS_DIR}/${runId}`
      return {
        path: rel,
        run_id: runId,
        ...quickState(path.join(experimentDir, rel), experimentDir, folder.entries, folder.manifest),
      }
    })
}

import {readFileSync} from 'node:fs'
import path from 'node:path'

import {MANIFEST_FILE} from '../checkpoints/manifest.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {sha256} from '../lib/hash.js'
import type {Report} from '../reports/report.js'

/** The checkpoint behind a promoted report: the folder its run evaluated, its quick state and its manifest's sha256. */
export interface PromotedCheckpoint {
  /** relative to the experiment directory */
  path: string
  state: string
  /** sha256 of MANIFEST.json as it is now; null when the checkpoint has none (uncommitted) */
  manifest_sha256: string | null
}

/** The run that wrote `report` names the checkpoint it evaluated; null when no run did (a report written by hand). */
export function promotedCheckpoint(s: ExperimentSnapshot, report: Report | undefined): PromotedCheckpoint | null {
  if (!report) return null
  const run = s.runs.find((r) => r.report !== undefined && path.resolve(s.dir, r.report) === path.resolve(report.path))
  const rel = run?.checkpoint ?? (run ? `checkpoints/${run.run_id}` : undefined)
  if (!rel) return null
  let manifest: string | null = null
  try {
    manifest = sha256(readFileSync(path.join(s.dir, rel, MANIFEST_FILE)))
  } catch {
    // no manifest: the checkpoint is uncommitted
  }
  const state = s.checkpoints?.find((c) => c.path === rel)?.state ?? (manifest ? 'committed' : 'uncommitted')
  return {manifest_sha256: manifest, path: rel, state}
}

/** The provenance line of a production config: `# checkpoint: experiments/<name>/checkpoints/<id> (manifest sha256 …)`. */
export function checkpointHeaderLine(
  experimentPath: string,
  checkpoint: PromotedCheckpoint | null | undefined,
): string[] {
  if (!checkpoint) return []
  return [
    `# checkpoint: ${experimentPath}/${checkpoint.path} (${checkpoint.manifest_sha256 ? `manifest sha256 ${checkpoint.manifest_sha256}` : `${checkpoint.state}: no manifest`})`,
  ]
}

import {existsSync} from 'node:fs'

import {ExpError} from '../errors.js'
import type {SweepResult} from '../sweeps/scaffold.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {createExperiment, type NewExperimentOptions, prepareExperiment} from './create.js'

/** What `exp new --json` prints for one experiment: snake_case keys, as every --json result. */
export interface NewResult {
  name: string
  dir: string
  base: string
  changes: Array<{from: unknown; key: string; to: unknown}>
  /** keys given with --add (not in the base config) */
  new_keys: string[]
  metadata: Record<string, unknown>
  dry_run: boolean
}

/** `exp new NAME`: the experiment created, or under --dry-run everything checked and nothing written. */
export async function newExperiment(ws: Workspace, options: NewExperimentOptions & {dryRun: boolean}): Promise<NewResult> {
  const r = options.dryRun ? await prepareExperiment(ws, options) : await createExperiment(ws, options)
  if (options.dryRun && existsSync(r.dir)) throw new ExpError(`${relativeToRoot(ws, r.dir)} already exists; it is never overwritten.`, {code: 'EXISTS', suggestion: 'choose another name.'})
  return {base: r.base, changes: r.changes, dir: r.dir, dry_run: options.dryRun, metadata: r.metadata, name: r.name, new_keys: r.newKeys}
}

/** `exp new --grid/--from-summary`: a sweep (never under --dry-run: its variants are planned as they are written). */
export async function newSweep(ws: Workspace, options: Parameters<typeof import('../sweeps/scaffold.js').scaffoldSweep>[1]): Promise<SweepResult> {
  const {scaffoldSweep} = await import('../sweeps/scaffold.js')
  return scaffoldSweep(ws, options)
}

import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import type {Clock} from '../lib/time.js'
import {CONFIG_FILE} from '../records/files.js'
import {checkRunRecord, compareRuns, isLive, RUN_FILE, type RunRecord, RUNS_DIR} from '../runs/record.js'
import {refreshLiveRuns} from '../runs/refresh.js'
import {recoverIfPending} from '../workspace/recovery.js'
import type {Workspace} from '../workspace/workspace.js'
import {folderIdentity} from './launch-steps.js'

/**
 * What a launch needs of the experiment it runs, and nothing more: its folder and that folder's identity (device
 * and inode), whether it has a config, and its runs with the live ones brought up to date by their backends. A
 * plain experiment is read directly — its run records only, no walk of its logs, checkpoints and reports (a scan
 * reads them all, and an experiment with many runs made every launch pay for them); a sweep's variant comes from
 * the sweep's scan, which knows where its variants live.
 */
export interface LaunchSubject {
  dir: string
  hasConfig: boolean
  /** `${dev}:${ino}` of the folder when it was read: a folder moved away and replaced is not the same experiment */
  identity: string | undefined
  name: string
  runs: RunRecord[]
}

export async function readLaunchSubject(
  ws: Workspace,
  target: {name: string; variant?: string},
  options: {log?: (line: string) => void; now: Clock},
): Promise<LaunchSubject> {
  if (target.variant) return variantSubject(ws, {...target, variant: target.variant}, options)
  // a step a killed exp left half-done is finished or rolled back first, so the launch reads a whole experiment
  for (const line of await recoverIfPending(ws)) options.log?.(line)
  const dir = path.join(ws.paths.experiments, target.name)
  const identity = await folderIdentity(dir)
  if (identity === undefined) throw new ExpError(`${target.name} is no longer in experiments/.`, {code: 'NOT_FOUND'})
  const subject = {dir, hasConfig: hasConfig(dir), identity, name: target.name, runs: readRunRecords(dir)}
  await refreshLiveRuns([subject], {log: options.log ?? (() => {}), now: options.now, ws})
  return subject
}

async function variantSubject(
  ws: Workspace,
  target: {name: string; variant: string},
  options: {log?: (line: string) => void; now: Clock},
): Promise<LaunchSubject> {
  const [{classifyWorkspace}, {variantItem}] = await Promise.all([
    import('../experiments/listing.js'),
    import('../experiments/variants.js'),
  ])
  const [whole] = await classifyWorkspace(ws, {...options, location: 'experiments', only: [target.name]})
  const {snapshot} = variantItem(whole, target.variant)
  return {...snapshot, identity: await folderIdentity(snapshot.dir)}
}

/** config.yaml as the scan counts it: any entry of that name that is not a folder */
function hasConfig(dir: string): boolean {
  try {
    return readdirSync(dir, {withFileTypes: true}).some((e) => e.name === CONFIG_FILE && !e.isDirectory())
  } catch {
    return false
  }
}

/** The run records of runs/<id>/run.json, newest first; a record exp would not use (as the scan decides) is left out. */
export function readRunRecords(dir: string, skip?: ReadonlySet<string>): RunRecord[] {
  let ids: string[]
  try {
    ids = readdirSync(path.join(dir, RUNS_DIR), {withFileTypes: true})
      .filter((e) => e.isDirectory() && !skip?.has(e.name))
      .map((e) => e.name)
  } catch {
    return []
  }
  const runs: RunRecord[] = []
  for (const id of ids) {
    try {
      const checked = checkRunRecord(parseJsonBounded(readFileSync(path.join(dir, RUNS_DIR, id, RUN_FILE), 'utf8')), id)
      if (checked.ok) runs.push(checked.record)
    } catch {
      // no record (yet), unreadable or not JSON: the scan warns about it; a launch has no use for it
    }
  }
  return runs.sort(compareRuns)
}

/**
 * Under the workspace lock: a live run that a launch racing this one recorded after the subject was read. Runs
 * already read cannot have become live (a run never goes back from a terminal state), so only run folders that are
 * new since then are read.
 */
export function racingRun(subject: LaunchSubject): RunRecord | undefined {
  return readRunRecords(subject.dir, new Set(subject.runs.map((r) => r.run_id))).find((r) => isLive(r.state))
}

import path from 'node:path'

import {messageOf} from '../../errors.js'
import {sleep} from '../../lib/time.js'
import {isLive, readRun, type RunRecord, runFile, writeRun} from '../../runs/record.js'
import type {BackendContext, LaunchIO} from '../backend.js'
import {cliFor, labelFor, log, ONSTART_FILE, rowsById} from './common.js'
import {buildGroupPayload, groupRemoteDir, renderGroupOnstart} from './group.js'
import {advance} from './lifecycle.js'
import {writeScript} from './payload.js'
import {rent} from './rent.js'
import {currentAttempt, endLiveStages, summarize, vastData} from './state.js'

/** The group's onstart script, as the first run of the group keeps it (it rented the instance with it). */
const GROUP_ONSTART_FILE = 'onstart-group.sh'

/** One prepared vast run of a sweep (its record as prepare left it, queued) and its experiment (variant) folder. */
export interface GroupRun {
  experimentDir: string
  record: RunRecord
}

/**
 * Rent ONE instance for a group of prepared runs (a sweep's variants): write the group's payload and onstart
 * script in `groupDir`, rent the cheapest offer of the first run's candidates with it, and record the instance on
 * every run of the group as a shared attempt (each pays its share of the cost). Returns the records as saved.
 */
export async function rentGroup(
  context: BackendContext,
  runs: GroupRun[],
  groupDir: string,
  tag: string,
  experiment: string,
): Promise<RunRecord[]> {
  const payload = await buildGroupPayload(
    groupDir,
    runs.map((r) => ({payload: path.join(r.experimentDir, vastData(r.record).payload.file), run_id: r.record.run_id})),
  )
  const text = renderGroupOnstart({experiment, sha256: payload.sha256, tag})
  await writeScript(path.join(groupDir, ONSTART_FILE), text)
  const [first] = runs
  const data = vastData(first.record)
  const own = {label: data.label, onstart: data.onstart}
  // rent() creates with the record's onstart and label: the group's, for this one create only (a copy beside the
  // first run's own onstart.sh: a record names only files inside its experiment)
  const copy = path.join(path.dirname(data.onstart), GROUP_ONSTART_FILE)
  await writeScript(path.join(first.experimentDir, copy), text)
  Object.assign(data, {label: labelFor(experiment, tag), onstart: copy})
  let rented: RunRecord
  try {
    rented = await rent(
      {cli: cliFor(context), context, experimentDir: first.experimentDir, record: first.record},
      data.candidates,
    )
  } finally {
    Object.assign(vastData(first.record), own)
  }
  Object.assign(vastData(rented), own)
  const attempt = currentAttempt(vastData(rented))!
  const shared = {
    dir: '',
    remote_dir: groupRemoteDir(tag),
    runs: runs.map((r) => ({dir: r.experimentDir, run_id: r.record.run_id})),
    share: 1 / runs.length,
  }
  const now = context.now()
  const saved: RunRecord[] = []
  for (const [i, r] of runs.entries()) {
    const record = i === 0 ? rented : r.record
    const d = vastData(record)
    const mine = {
      ...shared,
      dir: path.relative(r.experimentDir, groupDir),
      runs: shared.runs.map((o) => ({dir: path.relative(r.experimentDir, o.dir), run_id: o.run_id})),
    }
    if (i === 0) d.attempts[d.attempts.length - 1] = {...attempt, shared: mine}
    else d.attempts.push({...attempt, shared: mine})
    summarize(record, now)
    if (i > 0)
      await log(
        r.experimentDir,
        record.run_id,
        {
          action: 'rent',
          description: `shares instance ${attempt.instance_id} with ${runs.length - 1} other variant(s)`,
          details: `runs ${i + 1} of ${runs.length} on it`,
          result: 'created',
        },
        now,
      )
    saved.push(await writeRun(r.experimentDir, record, now))
  }
  return saved
}

/**
 * Wait until every run's instance runs and has the group's payload (as a single launch waits), advancing all runs
 * from ONE `show instances` per poll. Ctrl-C destroys the instances and records the runs as interrupted.
 */
export async function awaitUploads(
  context: BackendContext,
  runs: GroupRun[],
  io: LaunchIO,
  pollMs: number,
): Promise<RunRecord[]> {
  const cli = cliFor(context)
  let records = runs.map((r) => r.record)
  const waiting = () => records.some((r) => isLive(r.state) && !currentAttempt(vastData(r))?.uploaded_at)
  let failures = 0
  while (waiting()) {
    await sleep(pollMs, io.signal)
    if (io.signal?.aborted) return interruptAll(context, runs, records)
    try {
      const rows = rowsById(await cli.showInstances())
      const next: RunRecord[] = []
      for (const [i, r] of runs.entries()) {
        const fresh = await readRun(runFile(r.experimentDir, records[i].run_id))
        next.push(await advance({cli, context, experimentDir: r.experimentDir, record: fresh}, rows, true))
      }
      records = next
      failures = 0
    } catch (error) {
      context.log(`vast.ai: ${messageOf(error)}`)
      if (++failures >= 5) break // exp watch takes over
    }
  }
  return records
}

async function interruptAll(context: BackendContext, runs: GroupRun[], records: RunRecord[]): Promise<RunRecord[]> {
  const cli = cliFor(context)
  const now = context.now()
  const gone = new Set<number>()
  const out: RunRecord[] = []
  for (const [i, r] of runs.entries()) {
    const record = await readRun(runFile(r.experimentDir, records[i].run_id)).catch(() => records[i])
    const cur = currentAttempt(vastData(record))
    if (cur?.instance_id !== undefined && !cur.destroyed_at) {
      if (!gone.has(cur.instance_id)) await cli.destroyInstance(cur.instance_id).catch(() => false)
      gone.add(cur.instance_id)
      Object.assign(cur, {destroyed_at: now.toISOString(), ended_at: now.toISOString(), outcome: 'interrupted'})
    }
    const reason = 'interrupted while waiting for the instance; its instance destroyed'
    const ended = isLive(record.state)
      ? {...record, reason, stages: endLiveStages(record.stages, 'interrupted', reason, now.toISOString())}
      : record
    summarize(ended, now)
    out.push(await writeRun(r.experimentDir, ended, now))
  }
  return out
}

import {promises as fs} from 'node:fs'
import path from 'node:path'
import {StringDecoder} from 'node:string_decoder'

import {ExpError} from '../errors.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {LAUNCH_LOG} from '../launch/launch-log.js'
import {type Clock, sleep} from '../lib/time.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {isLive, readRun, runDir, runFile, type RunRecord} from './record.js'
import type {InstanceOutput} from '../backends/vast/logs.js'
import {refreshLiveRuns} from './refresh.js'
import {liveRemoteOutput} from './remote-logs.js'
import {experimentWithRuns, pickRun} from './select.js'
import {shownStage} from './stage-view.js'

export const LOG_STAGES = ['train', 'evaluate', 'launch'] as const
export type LogStage = (typeof LOG_STAGES)[number]

export interface LogFile {
  stage: LogStage
  /** workspace-relative */
  path: string
  exists: boolean
  content?: string
  /** the stage never ran because an earlier one failed or was not started: why */
  skipped?: string
  /** the launch failed before this stage's engine ran: why */
  not_started?: string
}

export interface LogsResult {
  experiment: string
  run_id: string
  state: RunRecord['state']
  logs: LogFile[]
  /** a live vast run: its instance's output so far (runs/remote-logs) */
  remote?: InstanceOutput
}

export interface LogsOptions {
  name: string
  run?: string
  /** one log; default: the stage logs of the run, in order */
  stage?: LogStage
  now: Clock
}

interface Target {
  snapshot: ExperimentSnapshot
  record: RunRecord
  files: Array<{stage: LogStage; abs: string; rel: string}>
}

async function target(ws: Workspace, options: LogsOptions): Promise<Target> {
  const snapshot = await experimentWithRuns(ws, options.name, {log: () => {}, now: options.now, ws})
  const record = pickRun(snapshot, options.run)
  const dir = runDir(snapshot.dir, record.run_id)
  const stageFiles = record.stages.map((s) => ({abs: path.join(snapshot.dir, s.log), stage: s.name as LogStage}))
  const launch = {abs: path.join(dir, LAUNCH_LOG), stage: 'launch' as const}
  let chosen: Array<{stage: LogStage; abs: string}>
  if (options.stage === 'launch') chosen = [launch]
  else if (options.stage) {
    chosen = stageFiles.filter((f) => f.stage === options.stage)
    if (chosen.length === 0) {
      throw new ExpError(
        `run ${record.run_id} has no ${options.stage} stage (it ran: ${record.stages.map((s) => s.name).join(', ')}).`,
        {code: 'NO_STAGE'},
      )
    }
  } else chosen = stageFiles
  return {files: chosen.map((f) => ({...f, rel: relativeToRoot(ws, f.abs)})), record, snapshot}
}

/** The logs of a run (the newest unless `run` names one), read whole. */
export async function readLogs(ws: Workspace, options: LogsOptions): Promise<LogsResult> {
  const {files, record, snapshot} = await target(ws, options)
  const logs: LogFile[] = []
  for (const f of files) {
    const content = await fs.readFile(f.abs, 'utf8').catch(() => undefined)
    const stage = record.stages.find((s) => s.name === f.stage)
    const shown = stage ? shownStage(record, stage) : undefined
    logs.push({
      content,
      exists: content !== undefined,
      path: f.rel,
      stage: f.stage,
      ...(shown?.state === 'skipped' ? {skipped: shown.why} : {}),
      ...(shown?.state === 'not started' ? {not_started: shown.why ?? 'the launch failed'} : {}),
    })
  }
  const remote = options.stage === 'launch' ? undefined : await liveRemoteOutput(record)
  return {experiment: snapshot.name, logs, run_id: record.run_id, state: record.state, ...(remote ? {remote} : {})}
}

export interface FollowOptions extends LogsOptions {
  /** how often to look for new output (ms) */
  pollMs?: number
  /** how often to ask the backend for the run's state (ms); local runs are cheap to ask */
  refreshMs?: number
  signal?: AbortSignal
}

/**
 * Print a run's logs as they grow (`tail -f` over its stage logs, in order) until the run is no longer live, then
 * print what is left and return the run's final record. `write` gets raw text; a header precedes each file when
 * several are followed.
 */
export async function followLogs(
  ws: Workspace,
  options: FollowOptions,
  write: (text: string) => void,
): Promise<LogsResult> {
  const found = await target(ws, options)
  const {files, snapshot} = found
  let {record} = found
  const pollMs = options.pollMs ?? 250
  const refreshMs = options.refreshMs ?? (record.backend === 'local' ? pollMs : 10_000)
  const offsets = new Map<string, number>()
  // one decoder per file keeps a multi-byte character that straddles two reads whole
  const decoders = new Map(files.map((f) => [f.abs, new StringDecoder('utf8')]))
  let current: string | undefined
  let lastRefresh = Date.now()
  const emit = (f: Target['files'][number], text: string) => {
    if (!text) return
    if (files.length > 1 && current !== f.abs) write(`${current === undefined ? '' : '\n'}==> ${f.rel} <==\n`)
    current = f.abs
    write(text)
  }
  const drain = async () => {
    for (const f of files) {
      const offset = offsets.get(f.abs) ?? 0
      const handle = await fs.open(f.abs, 'r').catch(() => undefined)
      if (!handle) continue
      try {
        const {size} = await handle.stat()
        if (size <= offset) continue
        const buffer = Buffer.alloc(size - offset)
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset)
        offsets.set(f.abs, offset + bytesRead)
        emit(f, decoders.get(f.abs)!.write(buffer.subarray(0, bytesRead)))
      } finally {
        await handle.close()
      }
    }
  }
  for (;;) {
    await drain()
    if (!isLive(record.state) || options.signal?.aborted) break
    await sleep(pollMs)
    record = await readRun(runFile(snapshot.dir, record.run_id)).catch(() => record)
    if (isLive(record.state) && Date.now() - lastRefresh >= refreshMs) {
      lastRefresh = Date.now()
      const snap = {...snapshot, runs: [record]}
      await refreshLiveRuns([snap], {log: () => {}, now: options.now, ws})
      record = snap.runs[0]
    }
  }
  await drain()
  for (const f of files) emit(f, decoders.get(f.abs)!.end())
  return {
    experiment: snapshot.name,
    logs: files.map((f) => ({exists: offsets.has(f.abs), path: f.rel, stage: f.stage})),
    run_id: record.run_id,
    state: record.state,
  }
}

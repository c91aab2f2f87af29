import {spawn} from 'node:child_process'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {PACKAGE_ROOT} from '../lib/package.js'
import {identify} from '../lib/process-identity.js'
import {sleep} from '../lib/time.js'
import {readRun, runFile, type RunRecord, supervisorFields, writeRun} from '../runs/record.js'
import type {PreparedRun} from './backend.js'
import {appendLaunchLog, launchLogFile} from '../launch/launch-log.js'
import {endStages} from './stages.js'

/** The background supervisor of a detached local run (`exp launch --detach`), and its hand-over. */
export const EXP_BIN = path.join(PACKAGE_ROOT, 'bin', 'run.cjs')
export const SUPERVISOR_LOG = 'supervisor.log'

/**
 * --detach: start `exp launch-worker` as a background process in its own session, hand it the run (its pid becomes
 * `supervisor_pid`; the worker starts the stages only once the record names it) and return at once. If it dies, the
 * run is seen as interrupted like any run whose supervisor is gone. Its own output, if it ever has any (a bug),
 * goes to runs/<id>/supervisor.log.
 */
export async function startSupervisor(prepared: PreparedRun): Promise<RunRecord> {
  const {record, request} = prepared
  const dir = request.experiment.dir
  await fs.mkdir(request.runDir, {recursive: true})
  const handle = await fs.open(path.join(request.runDir, SUPERVISOR_LOG), 'a')
  let child
  try {
    child = spawn(process.execPath, [EXP_BIN, 'launch-worker', dir, request.runId, '--root', request.ws.root], {
      detached: true,
      env: request.env ?? process.env,
      stdio: ['ignore', handle.fd, handle.fd],
    })
  } finally {
    await handle.close()
  }
  child.on('error', () => {}) // reported below through the missing pid
  child.unref()
  if (child.pid === undefined) {
    const reason = 'the background supervisor could not be started'
    const now = request.now()
    await writeRun(
      dir,
      {...record, reason, stages: endStages(record.stages, 'cancelled', reason, now.toISOString())},
      now,
    )
    throw new ExpError(`${reason} (${process.execPath} ${EXP_BIN}).`, {code: 'SUPERVISOR_FAILED'})
  }
  // logged first: the worker starts writing as soon as the record names it
  await appendLaunchLog(
    launchLogFile(request.runDir),
    {
      action: 'detach',
      description: 'handed the run to a background supervisor',
      details: `supervisor pid ${child.pid}`,
      result: 'queued',
    },
    request.now(),
  )
  return writeRun(dir, {...record, host: os.hostname(), ...supervisorFields(identify(child.pid))}, request.now())
}

/** The worker's side of the hand-over: wait until the record names this process as the run's supervisor. */
export async function awaitHandOver(
  experimentDir: string,
  runId: string,
  timeoutMs = 15_000,
): Promise<RunRecord | undefined> {
  const file = runFile(experimentDir, runId)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const record = await readRun(file).catch(() => undefined)
    if (record?.supervisor_pid === process.pid) return record
    await sleep(10)
  }
  return undefined
}

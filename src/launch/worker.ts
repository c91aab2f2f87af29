import {existsSync} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {runDir, runFile, type RunRecord} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {runStages} from '../backends/local-run.js'
import {awaitHandOver} from '../backends/local-supervisor.js'
import {appendLaunchLog, launchLogFile} from './launch-log.js'
import {withStopSignals} from './signals.js'

/**
 * The detached supervisor of a local run (`exp launch --detach` starts it in its own session): it takes the run
 * over (its pid becomes `supervisor_pid`), runs the queued stages, and stops them on SIGTERM/SIGINT/SIGHUP
 * (`exp cancel` sends SIGTERM). Progress goes to the run's launch.log; there is no terminal.
 */
export async function superviseRun(
  ws: Workspace,
  experimentDir: string,
  runId: string,
  options: {now: Clock},
): Promise<RunRecord> {
  const dir = path.resolve(experimentDir)
  if (!existsSync(runFile(dir, runId))) throw new ExpError(`no run ${runId} in ${dir}.`, {code: 'NOT_FOUND'})
  const record = await awaitHandOver(dir, runId)
  if (!record)
    throw new ExpError(`run ${runId} was not handed to this process (PID ${process.pid}).`, {code: 'NOT_HANDED_OVER'})
  if (!record.stages.some((s) => s.state === 'queued'))
    throw new ExpError(`run ${runId} has no queued stage to run.`, {code: 'NOTHING_TO_RUN'})
  const {result, stoppedBy} = await withStopSignals((signal) =>
    runStages(dir, record, {log: () => {}, now: options.now, ws}, {signal}),
  )
  if (stoppedBy) {
    await appendLaunchLog(
      launchLogFile(runDir(dir, runId)),
      {action: 'supervisor', description: `received ${stoppedBy}`, result: result.state},
      options.now(),
    )
  }
  return result
}

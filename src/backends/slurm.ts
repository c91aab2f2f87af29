import {ExpError} from '../errors.js'
import {isLive, type RunRecord, runDir, writeRun} from '../runs/record.js'
import type {Backend, BackendContext, CollectResult, RunRef} from './backend.js'
import {appendLaunchLog, launchLogFile} from '../launch/launch-log.js'
import {refresh} from './slurm/refresh.js'
import {runSlurm, slurmMessage} from './slurm/runner.js'
import {endStages} from './stages.js'
import {prepare, submit} from './slurm/submit.js'

export {decideStage, SQUEUE_FORMAT} from './slurm/refresh.js'
export {sbatchArgv, scriptFile, type SlurmBackendData, slurmResources} from './slurm/submit.js'

/**
 * The SLURM backend. prepare writes one readable batch script per stage into the run folder; submit sbatches train,
 * then evaluate with `--dependency=afterok:<train> --kill-on-invalid-dep=yes`; refresh asks SLURM about every live
 * job of every run in ONE `squeue -t all` call (finished jobs stay listed while slurmctld remembers them), and reads
 * the start/end records the jobs write themselves; cancel runs scancel. Jobs write into the experiment directory on
 * the shared filesystem, so collect has nothing to copy.
 */

/** scancel the live jobs of a run and record them cancelled (after one refresh, so a job that just ended keeps its outcome). */
async function cancel(run: RunRef, context: BackendContext): Promise<RunRecord> {
  const [current] = await refresh([run], context)
  if (!isLive(current.state)) return current
  const ids = current.stages.filter((s) => isLive(s.state) && s.job_id).map((s) => s.job_id!)
  if (ids.length > 0) {
    const result = await runSlurm('scancel', ids, {env: context.env})
    if (result.code !== 0)
      throw new ExpError(`scancel ${ids.join(' ')} failed: ${slurmMessage(result)}`, {code: 'SCANCEL_FAILED'})
  }
  const now = context.now()
  const reason = 'cancelled by exp cancel'
  const stages = endStages(current.stages, 'cancelled', reason, now.toISOString())
  const next = await writeRun(run.experimentDir, {...current, reason, stages}, now)
  await appendLaunchLog(
    launchLogFile(runDir(run.experimentDir, current.run_id)),
    {
      action: 'cancel',
      description: `run ${current.run_id} cancelled`,
      details: ids.length > 0 ? `scancel ${ids.join(' ')}` : 'no SLURM job was submitted',
      result: next.state,
    },
    now,
  )
  return next
}

async function collect(run: RunRef): Promise<CollectResult> {
  return {
    files: [],
    message: `run ${run.record.run_id} ran on SLURM and wrote into the experiment directory on the shared filesystem; nothing to collect.`,
    record: run.record,
  }
}

export const slurmBackend: Backend = {cancel, collect, name: 'slurm', prepare, refresh, submit}

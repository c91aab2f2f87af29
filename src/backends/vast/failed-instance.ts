import {ExpError, messageOf} from '../../errors.js'
import {type RunRecord, writeRun} from '../../runs/record.js'
import {isAuthError, log, type Step} from './common.js'
import {formatPrice, pickOffers} from './offers.js'
import {rent} from './rent.js'
import {endLiveStages, requeue, summarize, type VastAttempt, vastData} from './state.js'

/**
 * An instance that will not run the job: destroy it (only then is it safe to rent another), and retry ONCE on
 * another machine; a second failure, or a destroy that failed, ends the run as failed with the reason.
 */
export async function fail(
  step: Step,
  record: RunRecord,
  cur: VastAttempt,
  outcome: VastAttempt['outcome'],
  reason: string,
): Promise<RunRecord> {
  const {cli, context, experimentDir} = step
  const data = vastData(record)
  const id = cur.instance_id!
  const now = context.now()
  context.log(`vast.ai: ${reason}; destroying it`)
  let destroyError: string | undefined
  try {
    await cli.destroyInstance(id)
    cur.destroyed_at = now.toISOString()
  } catch (error) {
    if (isAuthError(error)) throw error
    destroyError = messageOf(error)
  }
  cur.ended_at = now.toISOString()
  cur.outcome = outcome
  cur.reason = reason
  await log(
    experimentDir,
    record.run_id,
    {
      action: 'fail',
      description: reason,
      details: destroyError ? `destroy failed: ${destroyError}` : `instance ${id} destroyed`,
      result: data.retried || destroyError ? 'failed' : 'retrying',
    },
    now,
  )

  if (!destroyError && !data.retried) {
    data.retried = true
    const failedMachines = data.attempts
      .filter((a) => a.instance_id !== undefined && a.machine_id !== null)
      .map((a) => a.machine_id as number)
    try {
      const offers = await cli.searchOffers(data.query, data.options.disk)
      const choices = pickOffers(offers, data.options.disk, {
        excludeMachines: failedMachines,
        limit: data.options.max_offers,
        maxPrice: data.options.max_price,
        minReliability: data.options.min_reliability,
      })
      if (choices.length === 0)
        throw new ExpError(`no other offer matches "${data.query}" (machines ${failedMachines.join(', ')} excluded)`)
      context.log(
        `vast.ai: retrying once on another machine (offer ${choices[0].id}, ${formatPrice(choices[0].dph_total)})`,
      )
      const next = await rent({...step, record: {...record, stages: requeue(record.stages)}}, choices)
      summarize(next, context.now())
      return writeRun(experimentDir, next, context.now())
    } catch (error) {
      if (isAuthError(error)) throw error
      reason = `${reason}; the retry could not rent another instance: ${messageOf(error)}`
    }
  } else if (destroyError) {
    reason = `${reason}; destroying it failed (${destroyError}): destroy it yourself with vastai destroy instance ${id} -y`
  } else if (data.retried) {
    reason = `${reason} (after one retry on another machine)`
  }
  const ended = {...record, reason, stages: endLiveStages(record.stages, 'failed', reason, now.toISOString())}
  summarize(ended, now)
  context.log(`vast.ai: run ${record.run_id} failed: ${reason}`)
  return writeRun(experimentDir, ended, now)
}

import path from 'node:path'

import {ExpError} from '../../errors.js'
import {type RunRecord, writeRun} from '../../runs/record.js'
import {createArgs, log, offerText, type Step} from './common.js'
import {VastError} from './cli.js'
import {formatPrice, type OfferChoice} from './offers.js'
import {summarize, type VastAttempt, vastData} from './state.js'

/**
 * Rent the first offer that is still there, cheapest first. `no_such_ask` (the offer went between search and
 * create) moves on to the next; any other failure stops. Success only from stdout's `success: true` +
 * `new_contract`. Returns the record with the new attempt, or throws when nothing could be rented (nothing is).
 */
export async function rent(step: Step, offers: OfferChoice[]): Promise<RunRecord> {
  const {cli, context, experimentDir} = step
  let record = step.record
  const data = vastData(record)
  const onstartFile = path.join(experimentDir, data.onstart)
  const gone: number[] = []
  for (const offer of offers) {
    const at = context.now().toISOString()
    data.pending_create = {at, offer_id: offer.id}
    record = await writeRun(experimentDir, record, context.now())
    const attempt: VastAttempt = {
      at,
      disk_dph: offer.disk_dph,
      dph_total: offer.dph_total,
      gpu: offer.gpu,
      machine_id: offer.machine_id,
      num_gpus: offer.num_gpus,
      offer_id: offer.id,
    }
    let id: number
    try {
      id = await cli.createInstance(createArgs(offer.id, data.options, onstartFile, data.label), offer.id)
    } catch (error) {
      // refused by the server (auth, offer gone, rate limit, bad arguments): nothing was created. Any other failure
      // leaves the outcome unknown: pending_create stays, and a refresh adopts (and handles) an instance by its label
      const refused =
        error instanceof VastError &&
        (['auth', 'offer-gone', 'rate-limit', 'not-found'].includes(error.kind) ||
          (error.kind === 'server' && (error.status ?? 0) < 500))
      if (refused) delete vastData(record).pending_create
      if (error instanceof VastError && error.kind === 'offer-gone') {
        gone.push(offer.id)
        vastData(record).attempts.push({...attempt, ended_at: at, outcome: 'offer-gone', reason: error.message})
        context.log(`vast.ai: offer ${offer.id} is gone; trying the next one`)
        await log(
          experimentDir,
          record.run_id,
          {
            action: 'rent',
            description: `offer ${offer.id} (${formatPrice(offer.dph_total)})`,
            details: error.message,
            result: 'gone',
          },
          context.now(),
        )
        record = await writeRun(experimentDir, record, context.now())
        continue
      }
      await writeRun(experimentDir, record, context.now())
      throw error
    }
    const now = context.now()
    const d = vastData(record)
    delete d.pending_create
    d.attempts.push({...attempt, cost_usd: 0, created_at: now.toISOString(), instance_id: id, state: null})
    summarize(record, now)
    context.log(`vast.ai: rented instance ${id} on offer ${offer.id}: ${offerText(offer)}`)
    await log(
      experimentDir,
      record.run_id,
      {
        action: 'rent',
        description: `instance ${id} on offer ${offer.id}: ${offerText(offer)}`,
        details: `label ${d.label}`,
        result: 'created',
      },
      now,
    )
    return writeRun(experimentDir, record, now)
  }
  throw new ExpError(`vast.ai: every offer tried is gone (${gone.join(', ') || 'none left'}).`, {
    code: 'OFFERS_GONE',
    suggestion: 'launch again (offers change by the minute), or widen --max-price / --query.',
  })
}

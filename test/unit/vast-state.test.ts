import assert from 'node:assert/strict'

import {buildQuery, pickOffers, resolveOptions} from '../../src/backends/vast/offers.js'
import {
  attemptCost,
  endLiveStages,
  finishStages,
  parseMarker,
  phaseOf,
  type VastAttempt,
} from '../../src/backends/vast/state.js'
import type {StageRecord} from '../../src/runs/record.js'
import {settingsSchema} from '../../src/workspace/settings.js'

const defaults = settingsSchema.parse({}).backends.vast

describe('vast offers', () => {
  it('builds the query from the options (vast writes spaces as _)', () => {
    const o = resolveOptions(defaults, {gpu: 'RTX 4090', max_price: 0.6, num_gpus: 2, query: 'cuda_vers>=12.4'})
    assert.equal(buildQuery(o), 'gpu_name=RTX_4090 num_gpus=2 reliability>=0.95 disk_space>=20 cuda_vers>=12.4')
    assert.equal(buildQuery(resolveOptions(defaults, {})), 'num_gpus=1 reliability>=0.95 disk_space>=20')
  })

  it('flags override exp.yaml; unset flags keep it; bad values fail with their name', () => {
    const o = resolveOptions(
      {...defaults, image: 'mine:1', max_price: 0.5},
      {auto_shutdown: false, image: undefined, max_price: 0.8},
    )
    assert.equal(o.image, 'mine:1')
    assert.equal(o.max_price, 0.8)
    assert.equal(o.auto_shutdown, false)
    assert.throws(() => resolveOptions(defaults, {disk: -1}), /vast option disk/)
    assert.throws(() => resolveOptions(defaults, {num_gpus: 1.5}), /num_gpus/)
  })

  it('takes the cheapest offers within the price and reliability, never a machine that already failed', () => {
    const offers = [
      {dph_total: 0.5, id: 1, machine_id: 10, reliability: 0.99, search: {diskHour: 0.01}},
      {dph_total: 0.2, id: 2, machine_id: 20, reliability: 0.9},
      {dph_total: 0.3, id: 3, machine_id: 30, reliability: 0.97, storage_cost: 0.146},
      {dph_total: 0.4, id: 4, machine_id: 40, reliability2: 0.99},
      {dph_total: 0.9, id: 5, machine_id: 50, reliability: 0.99},
      {id: 6},
    ]
    const picked = pickOffers(offers, 20, {limit: 3, maxPrice: 0.6, minReliability: 0.95})
    assert.deepEqual(
      picked.map((o) => o.id),
      [3, 4, 1],
    )
    assert.equal(picked[2].disk_dph, 0.01)
    assert.equal(picked[0].disk_dph, 0.004) // 0.146 $/GB/month × 20 GB / 730 h
    assert.deepEqual(
      pickOffers(offers, 20, {excludeMachines: [30], limit: 9, minReliability: 0.95}).map((o) => o.id),
      [4, 1, 5],
    )
  })
})

describe('vast run state', () => {
  it('maps actual_status onto what exp does', () => {
    for (const s of [null, undefined, 'created', 'loading']) assert.equal(phaseOf(s), 'pending')
    assert.equal(phaseOf('running'), 'running')
    assert.equal(phaseOf('exited'), 'stopped')
    assert.equal(phaseOf('stopped'), 'stopped')
    assert.equal(phaseOf('unknown'), 'broken')
    assert.equal(phaseOf('offline'), 'broken')
    assert.equal(phaseOf('rebooting'), 'other')
  })

  it('costs disk from creation to destroy, and the GPU only while it ran', () => {
    const a: VastAttempt = {
      at: '',
      created_at: '2025-01-01T00:00:00Z',
      disk_dph: 0.01,
      dph_total: 0.51,
      gpu: 'x',
      machine_id: 1,
      num_gpus: 1,
      offer_id: 1,
    }
    const t = (h: number) => new Date(Date.parse('2025-01-01T00:00:00Z') + h * 3_600_000)
    assert.equal(attemptCost(a, t(1)).toFixed(6), '0.010000') // loading for an hour: disk only
    a.running_at = t(1).toISOString()
    assert.equal(attemptCost(a, t(3)).toFixed(6), '1.030000') // 3 h disk + 2 h GPU
    a.stopped_at = t(3).toISOString()
    assert.equal(attemptCost(a, t(13)).toFixed(4), (0.13 + 1).toFixed(4)) // stopped 10 h: disk keeps billing
    a.destroyed_at = t(13).toISOString()
    assert.equal(attemptCost(a, t(100)).toFixed(4), (0.13 + 1).toFixed(4)) // destroyed: nothing more
  })

  const stages = (): StageRecord[] => [
    {command: ['t'], cwd: '/w', log: 'runs/r/train.log', name: 'train', state: 'running'},
    {command: ['e'], cwd: '/w', log: 'runs/r/evaluate.log', name: 'evaluate', state: 'queued'},
  ]

  it('reads the exit marker: code, then an optional reason', () => {
    assert.deepEqual(parseMarker('0\n\n'), {code: 0, reason: undefined})
    assert.deepEqual(parseMarker('97\nthe payload did not arrive within 60 min\n'), {
      code: 97,
      reason: 'the payload did not arrive within 60 min',
    })
    assert.equal(parseMarker(''), undefined)
    assert.equal(parseMarker('abc\n'), undefined)
  })

  it('finishes stages from their codes: a failed train leaves evaluate not run', () => {
    const ok = finishStages(stages(), {code: 0}, {evaluate: 0, train: 0}, {end: 'E', start: 'S'})
    assert.deepEqual(
      ok.map((s) => [s.state, s.exit_code]),
      [
        ['completed', 0],
        ['completed', 0],
      ],
    )
    const bad = finishStages(stages(), {code: 2}, {train: 2}, {end: 'E', start: 'S'})
    assert.deepEqual(
      bad.map((s) => [s.state, s.exit_code ?? null, s.reason ?? null]),
      [
        ['failed', 2, null],
        ['cancelled', null, 'not run: train failed'],
      ],
    )
    const none = finishStages(stages(), {code: 97, reason: 'no payload'}, {}, {end: 'E'})
    assert.deepEqual(
      none.map((s) => [s.state, s.reason]),
      [
        ['failed', 'no payload'],
        ['cancelled', 'not run: train failed'],
      ],
    )
  })

  it('ends live stages: the first with the state and reason, the rest not run', () => {
    const failed = endLiveStages(stages(), 'failed', 'host lost', 'E')
    assert.deepEqual(
      failed.map((s) => [s.state, s.reason]),
      [
        ['failed', 'host lost'],
        ['cancelled', 'not run'],
      ],
    )
    const cancelled = endLiveStages(stages(), 'cancelled', 'by you', 'E')
    assert.deepEqual(
      cancelled.map((s) => s.state),
      ['cancelled', 'cancelled'],
    )
  })
})

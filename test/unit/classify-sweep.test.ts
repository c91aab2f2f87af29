import assert from 'node:assert/strict'

import {classify} from '../../src/classify/classify.js'
import type {ExperimentSnapshot} from '../../src/experiments/snapshot.js'
import {parseReport} from '../../src/reports/report.js'
import type {RunRecord, RunState} from '../../src/runs/record.js'

const NOW = new Date('2025-03-01T12:00:00Z')
const DAY = 86_400_000
const opts = {direction: 'min' as const, metric: 'final_nrmse', now: NOW, staleDays: 30}
const DIR = '/ws/experiments/2025-01-22-s'

function snap(name: string, partial: Partial<ExperimentSnapshot> = {}): ExperimentSnapshot {
  return {
    bytes: 0,
    date: null,
    dir: `${DIR}/${name}`,
    fileCount: 1,
    hasConfig: true,
    lastModified: NOW.getTime() - DAY,
    lastModifiedPath: 'config.yaml',
    location: 'experiments',
    name,
    reports: [],
    runs: [],
    slug: name,
    warnings: [],
    ...partial,
  }
}

const report = (v: string, data: object) =>
  parseReport(`${DIR}/${v}/reports/r.json`, JSON.stringify(data), NOW.getTime() - DAY, 'experiment')
const passed = (v: string, nrmse: number) => snap(v, {reports: [report(v, {final_nrmse: nrmse, gates_passed: true})]})
const failed = (v: string) => snap(v, {reports: [report(v, {final_nrmse: 0.9, gates_passed: false})]})
function running(v: string, state: RunState = 'running'): ExperimentSnapshot {
  const t = NOW.toISOString()
  const run: RunRecord = {
    backend: 'local',
    created_at: t,
    experiment: v,
    run_id: 'r1',
    schema: 1,
    stages: [],
    state,
    updated_at: t,
  }
  return snap(v, {runs: [run]})
}

function sweep(variants: ExperimentSnapshot[], partial: Partial<ExperimentSnapshot> = {}): ExperimentSnapshot {
  return {...snap('2025-01-22-s'), dir: DIR, variants, ...partial}
}

describe('classify: a sweep aggregates its variants, with reasons', () => {
  it("a person's verdict on the experiment wins over its variants", () => {
    const c = classify(
      sweep([running('a'), passed('b', 0.1)], {notesText: '\n'.repeat(6) + 'Status: ✗ abandoned'}),
      opts,
    )
    assert.equal(c.status, 'failed')
    assert.equal(c.rule, 'notes')
    assert.equal(c.variants?.length, 2)
  })

  it('any variant running → active, naming it', () => {
    const c = classify(sweep([failed('a'), running('b'), passed('c', 0.1)]), opts)
    assert.deepEqual([c.status, c.rule], ['active', 'variants'])
    assert.equal(c.reason, '1/3 variants running (b)')
  })

  it('any variant passed → success, naming the best by the metric and direction', () => {
    const c = classify(sweep([passed('a', 0.05), failed('b'), passed('c', 0.031), snap('d')]), opts)
    assert.deepEqual([c.status, c.rule], ['success', 'variants'])
    assert.equal(c.reason, '2/4 variants passed; best c, final_nrmse 0.031')
    assert.equal(c.source, 'c/reports/r.json')
    assert.match(
      classify(sweep([passed('a', 0.05), passed('c', 0.031)]), {...opts, direction: 'max'}).reason,
      /best a, final_nrmse 0.05/,
    )
  })

  it('every variant failed → failed, with the first failure', () => {
    const c = classify(sweep([failed('a'), failed('b')]), opts)
    assert.deepEqual([c.status, c.rule], ['failed', 'variants'])
    assert.match(c.reason, /^all 2 variants failed \(a: reports\/r.json: gates_passed is false\)/)
  })

  it('otherwise stale or active by age, saying how many have no verdict', () => {
    const fresh = classify(sweep([failed('a'), snap('b')]), opts)
    assert.deepEqual([fresh.status, fresh.rule], ['active', 'age'])
    assert.match(fresh.reason, /^1\/2 variants failed, 1 without a verdict; no verdict yet/)
    const old = classify(sweep([snap('a'), snap('b')], {lastModified: NOW.getTime() - 40 * DAY}), opts)
    assert.deepEqual([old.status, old.rule], ['stale', 'age'])
    assert.match(old.reason, /^2 variants, none with a verdict; .*stale after 30d/)
  })

  it('each variant is classified by the same function as an experiment', () => {
    const c = classify(sweep([passed('a', 0.1), failed('b')]), opts)
    assert.deepEqual(
      c.variants!.map((v) => [v.name, v.classification.status, v.metric]),
      [
        ['a', 'success', 0.1],
        ['b', 'failed', 0.9],
      ],
    )
    assert.deepEqual(c.variants![0].classification, classify(passed('a', 0.1), opts))
  })
})

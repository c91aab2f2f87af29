import assert from 'node:assert/strict'

import {checkGate} from '../../src/promote/gate.js'
import {compareMetric} from '../../src/reports/metric.js'
import {splitProvenance} from '../../src/promote/promote.js'
import {parseReport} from '../../src/reports/report.js'

const report = (data: object | string) =>
  parseReport('/ws/reports/eval.json', typeof data === 'string' ? data : JSON.stringify(data), 0, 'experiment')
const min = {direction: 'min' as const, metric: 'final_nrmse', threshold: 0.1}

describe('the promotion gate', () => {
  it('passes a finite metric within the threshold and says value and threshold', () => {
    const r = checkGate(report({final_nrmse: 0.05, gates_passed: true}), min, 'reports/eval.json')
    assert.deepEqual(r, {pass: true, reason: 'final_nrmse 0.05 ≤ threshold 0.1', value: 0.05})
    assert.equal(checkGate(report({final_nrmse: 0.1, gates_passed: true}), min).pass, true, 'the bound itself passes')
  })

  it('fails above the threshold with both numbers in the reason', () => {
    const r = checkGate(report({final_nrmse: 0.12, gates_passed: true}), min)
    assert.equal(r.pass, false)
    assert.equal(r.reason, 'final_nrmse 0.12 > threshold 0.1')
  })

  it('direction max: at least the threshold, and the comparison flips', () => {
    const max = {direction: 'max' as const, metric: 'accuracy', threshold: 0.9}
    assert.equal(checkGate(report({accuracy: 0.95, gates_passed: true}), max).reason, 'accuracy 0.95 ≥ threshold 0.9')
    const low = checkGate(report({accuracy: 0.85, gates_passed: true}), max)
    assert.equal(low.pass, false)
    assert.equal(low.reason, 'accuracy 0.85 < threshold 0.9')
  })

  it('reads the metric under `metrics` too, and needs no threshold', () => {
    const r = checkGate(report({gates_passed: true, metrics: {final_nrmse: 0.3}}), {
      direction: 'min',
      metric: 'final_nrmse',
    })
    assert.deepEqual(r, {pass: true, reason: 'final_nrmse 0.3 (no threshold)', value: 0.3})
  })

  const failures: Array<[string, object | string | undefined, RegExp]> = [
    ['no report', undefined, /^no report with a verdict/],
    ['an invalid report', '{"final_nrmse": NaN}', /^L: not valid JSON/],
    ['no gates_passed', {final_nrmse: 0.05}, /^L has no gates_passed$/],
    ['gates_passed false', {final_nrmse: 0.05, gates_passed: false}, /^L: gates_passed is false, not true$/],
    [
      'gates_passed as a string',
      {final_nrmse: 0.05, gates_passed: 'true'},
      /^L: gates_passed is "true" \(a string\), not true$/,
    ],
    ['errors', {errors: ['diverged'], final_nrmse: 0.05, gates_passed: true}, /^L lists errors: \["diverged"\]$/],
    ['a missing metric', {gates_passed: true}, /^L has no final_nrmse \(threshold ≤ 0\.1\)$/],
    [
      'a NaN string',
      {final_nrmse: 'NaN', gates_passed: true},
      /^L: final_nrmse is "NaN" \(a string\), not a finite number \(threshold ≤ 0\.1\)$/,
    ],
    ['a numeric string', {final_nrmse: '0.05', gates_passed: true}, /is "0\.05" \(a string\), not a finite number/],
    ['null', {final_nrmse: null, gates_passed: true}, /final_nrmse is null, not a finite number/],
  ]
  for (const [what, data, reason] of failures) {
    it(`fails on ${what} with a one-line reason`, () => {
      const r = checkGate(data === undefined ? undefined : report(data), min, 'L')
      assert.equal(r.pass, false)
      assert.match(r.reason, reason)
      assert.ok(!r.reason.includes('\n'))
    })
  }

  it('fails on a NaN or infinite number handed over directly', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = checkGate(
        {data: {final_nrmse: value, gates_passed: true}, path: 'x', scope: 'experiment', time: 0},
        min,
        'L',
      )
      assert.equal(r.pass, false)
      assert.match(r.reason, /not a finite number \(threshold ≤ 0\.1\)/)
    }
  })

  it('orders best first in both directions, non-numbers last', () => {
    const values = [0.3, undefined, 0.1, Number.NaN, 0.2]
    assert.deepEqual([...values].sort((a, b) => compareMetric('min', a, b)).slice(0, 3), [0.1, 0.2, 0.3])
    assert.deepEqual([...values].sort((a, b) => compareMetric('max', a, b)).slice(0, 3), [0.3, 0.2, 0.1])
  })
})

describe('provenance header', () => {
  it('splits exp’s header from the config and leaves other files whole', () => {
    const text =
      '# Promoted by exp: provenance (the rest of this file is the experiment config, unchanged)\n# experiment: 2025-01-22-x\n# config_sha256: abc\n# end of provenance\nmodel:\n  a: 1\n'
    assert.deepEqual(splitProvenance(text), {
      body: 'model:\n  a: 1\n',
      provenance: {config_sha256: 'abc', experiment: '2025-01-22-x'},
    })
    assert.deepEqual(splitProvenance('# my own comment\nmodel: {}\n'), {body: '# my own comment\nmodel: {}\n'})
  })
})

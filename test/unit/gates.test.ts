import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {applyGates, checkGates, describeCheck} from '../../src/reports/gates.js'
import {parseReport, reportVerdict} from '../../src/reports/report.js'
import {removeDir, tempDir} from '../support/exp.js'

describe('exp gates on reports', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(() => removeDir(dir))

  const write = async (data: unknown) => {
    const file = path.join(dir, 'report.json')
    await fs.writeFile(file, typeof data === 'string' ? data : JSON.stringify(data))
    return file
  }
  const read = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'))

  it('decides gates_passed when the report has none, and records how inside the report', async () => {
    const file = await write({created_at: '2025-01-22T10:00:00Z', final_nrmse: 0.12})
    const outcome = await applyGates(file, {final_nrmse: {max: 0.15}}, new Date('2025-01-22T10:00:05Z'))
    assert.equal(outcome.decided_by, 'exp')
    const data = await read(file)
    assert.equal(data.gates_passed, true)
    assert.equal(data.created_at, '2025-01-22T10:00:00Z')
    assert.deepEqual(data.gates, {
      checks: [{limit: {max: 0.15}, metric: 'final_nrmse', passed: true, value: 0.12}],
      decided_at: '2025-01-22T10:00:05.000Z',
      decided_by: 'exp',
    })
    assert.equal(reportVerdict(parseReport(file, JSON.stringify(data), 0, 'experiment'))?.verdict, 'success')
  })

  it('fails a gate that is out of bounds, missing, or not a number; every gate must pass', async () => {
    const file = await write({final_nrmse: 0.2, metrics: {accuracy: 0.9}, loss: 'nan'})
    const outcome = await applyGates(file, {
      accuracy: {min: 0.8},
      final_nrmse: {max: 0.15},
      loss: {max: 1},
      speed: {min: 1},
    })
    assert.equal(outcome.decided_by, 'exp')
    const data = await read(file)
    assert.equal(data.gates_passed, false)
    const byMetric = Object.fromEntries(data.gates.checks.map((c: any) => [c.metric, c]))
    assert.equal(byMetric.accuracy.passed, true) // found under `metrics`
    assert.equal(byMetric.final_nrmse.passed, false)
    assert.match(byMetric.loss.problem, /not a finite number/)
    assert.match(byMetric.speed.problem, /missing/)
    assert.equal(describeCheck(byMetric.final_nrmse), 'final_nrmse 0.2 <= 0.15: fail')
  })

  it("never overrides the engine's own gates_passed", async () => {
    const file = await write({final_nrmse: 0.9, gates_passed: true})
    const before = await fs.readFile(file, 'utf8')
    assert.deepEqual(await applyGates(file, {final_nrmse: {max: 0.15}}), {decided_by: 'engine', passed: true})
    assert.equal(await fs.readFile(file, 'utf8'), before)
  })

  it("keeps an engine's own `gates` field and writes exp's beside it", async () => {
    const file = await write({final_nrmse: 0.01, gates: ['engine-defined']})
    await applyGates(file, {final_nrmse: {max: 0.15}})
    const data = await read(file)
    assert.deepEqual(data.gates, ['engine-defined'])
    assert.equal(data.exp_gates.decided_by, 'exp')
  })

  it('says why it could not decide, and changes nothing', async () => {
    const none = await applyGates(path.join(dir, 'missing.json'), {final_nrmse: {max: 1}})
    assert.deepEqual(none, {decided_by: 'none', reason: 'no report was written', report: 'missing'})
    const broken = await write('{"final_nrmse": ')
    assert.equal((await applyGates(broken, {final_nrmse: {max: 1}})).decided_by, 'none')
    assert.equal(await fs.readFile(broken, 'utf8'), '{"final_nrmse": ')
    const plain = await write({final_nrmse: 0.1})
    assert.deepEqual(await applyGates(plain, undefined), {
      decided_by: 'none',
      reason: 'the report has no gates_passed and exp.yaml has no gates',
      report: 'ok',
    })
  })

  it('checks both bounds', () => {
    const checks = checkGates({x: 5}, {x: {max: 10, min: 6}})
    assert.equal(checks[0].passed, false)
    assert.equal(describeCheck(checks[0]), 'x 5 >= 6 and <= 10: fail')
  })
})

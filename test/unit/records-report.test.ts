import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../../src/errors.js'
import {readReport, reportProblem, writeReport} from '../../src/records/report.js'
import {applyGates} from '../../src/reports/gates.js'
import {removeDir, tempDir} from '../support/exp.js'

/** Issue 11, typed records: a report's known fields are checked; the engine's other fields are kept as they are. */
const MALFORMED: Array<[string, Record<string, unknown>, RegExp]> = [
  ['gates_passed a string', {gates_passed: 'true'}, /^gates_passed "true" is not true or false$/],
  ['a metric value a string', {metrics: {final_nrmse: '0.1'}}, /^metrics\.final_nrmse "0\.1" is not/],
  ['metrics a list', {metrics: [0.1]}, /^metrics \[0\.1\] is not an object$/],
  ['experiment a number', {experiment: 7}, /^experiment 7 is not a string$/],
  ['created_at a number', {created_at: 1737540000}, /^created_at 1737540000 is not a string$/],
  [
    "exp's gate record without checks",
    {exp_gates: {decided_at: 'now', decided_by: 'exp'}},
    /^exp_gates\.checks is missing$/,
  ],
]

describe('records: reports', () => {
  let dir: string | undefined
  afterEach(async () => removeDir(dir))

  for (const [what, data, line] of MALFORMED) {
    it(`${what}: one line naming the field; read refused, write refused and nothing written`, async () => {
      assert.match((await reportProblem(data)) ?? 'accepted', line)
      dir = await tempDir('exp-records-report-')
      const file = path.join(dir, 'r1.json')
      await fs.writeFile(file, JSON.stringify(data))
      const read = await readReport(file, 'reports/r1.json').then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      )
      assert.ok(read instanceof ExpError)
      assert.match(read.message, /^reports\/r1\.json: /)
      assert.equal(read.message.split('\n').length, 1)
      const written = await writeReport(file, data, 'reports/r1.json').then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      )
      assert.ok(written instanceof ExpError)
      assert.match(written.message, /^refusing to write reports\/r1\.json: /)
      assert.equal(await fs.readFile(file, 'utf8'), JSON.stringify(data), 'the report changed')
    })
  }

  it("exp's gate decision keeps every field of the engine's report, values and order, and adds its own after them", async () => {
    dir = await tempDir('exp-records-report-')
    const file = path.join(dir, 'r1.json')
    const engine = {
      z_first: 'kept',
      experiment: 'x',
      metrics: {final_nrmse: 0.05, note: null},
      nested: {deep: [1, {a: 'b'}]},
      big: 12345678901234,
      tiny: 1e-9,
      unicode: 'ü ✓',
    }
    await fs.writeFile(file, JSON.stringify(engine))
    const outcome = await applyGates(file, {final_nrmse: {max: 0.1}}, new Date('2025-01-22T10:00:00Z'))
    assert.equal(outcome.decided_by, 'exp')
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(after), [...Object.keys(engine), 'gates_passed', 'gates'])
    for (const [key, value] of Object.entries(engine)) assert.deepEqual(after[key], value, key)
    assert.equal(after.gates_passed, true)
    assert.deepEqual(await readReport(file), after)
  })

  it('a report whose known fields are wrong is never judged by exp: the gate outcome names the field', async () => {
    dir = await tempDir('exp-records-report-')
    const file = path.join(dir, 'r1.json')
    await fs.writeFile(file, JSON.stringify({metrics: {final_nrmse: '0.05'}}))
    const outcome = await applyGates(file, {final_nrmse: {max: 0.1}})
    assert.deepEqual(outcome, {
      decided_by: 'none',
      reason: 'the report cannot be judged (metrics.final_nrmse "0.05" is not a number)',
      report: 'invalid',
    })
    assert.equal(await fs.readFile(file, 'utf8'), JSON.stringify({metrics: {final_nrmse: '0.05'}}))
  })
})

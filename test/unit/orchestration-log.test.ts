import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {formatLaunchLogEntry} from '../../src/launch/launch-log.js'
import type {Transition} from '../../src/sweeps/observe-transitions.js'
import {appendTransitions, LOG_STATE_FILE} from '../../src/sweeps/orchestration-log.js'
import {STATUS_END, STATUS_START, withStatusTable, writeStatusTable} from '../../src/sweeps/status-table.js'

const t = (key: string, at: number): Transition => ({
  action: 'TRAIN_COMPLETED',
  at,
  description: `${key}: training completed`,
  details: 'duration 3s',
  key,
  result: 'COMPLETED',
})
const text = (ts: Transition[]) => ts.map((x) => formatLaunchLogEntry(x, new Date(x.at))).join('')

describe('orchestration log: each transition once', () => {
  let dir: string
  const logFile = () => path.join(dir, 'launch.log')
  const stateFile = () => path.join(dir, LOG_STATE_FILE)
  const append = (items: Transition[]) =>
    appendTransitions({derive: () => items, dir, lockFile: path.join(dir, '..', `${path.basename(dir)}.lock`)})
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-olog-'))
  })
  afterEach(async () => {
    await fs.rm(dir, {force: true, recursive: true})
    await fs.rm(`${dir}.lock`, {force: true})
  })

  it('appends only the keys not logged yet, in order', async () => {
    const a = t('a', 1_000_000)
    const b = t('b', 2_000_000)
    assert.deepEqual(
      (await append([a])).map((x) => x.key),
      ['a'],
    )
    assert.deepEqual(
      (await append([a, b])).map((x) => x.key),
      ['b'],
    )
    assert.deepEqual(await append([a, b]), [])
    assert.equal(await fs.readFile(logFile(), 'utf8'), text([a, b]))
  })

  it('an observer killed before, during or after its append: the next one completes it, never twice, never lost', async () => {
    const a = t('a', 1_000_000)
    const owed = [t('b', 2_000_000), t('c', 3_000_000)]
    const whole = text(owed)
    for (const written of [0, 7, whole.length - 1, whole.length]) {
      await fs.writeFile(logFile(), text([a]) + whole.slice(0, written))
      await fs.writeFile(
        stateFile(),
        JSON.stringify({
          logged: ['a'],
          pending: {keys: ['b', 'c'], offset: Buffer.byteLength(text([a])), text: whole},
          schema: 1,
        }),
      )
      assert.deepEqual(
        await append([a, ...owed, t('d', 4_000_000)]).then((r) => r.map((x) => x.key)),
        ['d'],
        `killed after ${written} bytes`,
      )
      assert.equal(
        await fs.readFile(logFile(), 'utf8'),
        text([a, ...owed, t('d', 4_000_000)]),
        `killed after ${written} bytes`,
      )
      const state = JSON.parse(await fs.readFile(stateFile(), 'utf8'))
      assert.deepEqual(state.logged, ['a', 'b', 'c', 'd'])
      assert.equal(state.pending, undefined)
    }
  })

  it('twenty observers at once append each entry once', async () => {
    const all = Array.from({length: 30}, (_, i) => t(`k${i}`, 1_000_000 + i * 1000))
    await Promise.all(Array.from({length: 20}, (_, i) => append(all.slice(0, 10 + i))))
    assert.equal(await fs.readFile(logFile(), 'utf8'), text(all.slice(0, 29)))
  })

  it('a folder moved away (archived) is never recreated', async () => {
    await fs.rm(dir, {recursive: true})
    assert.deepEqual(await append([t('a', 1)]), [])
    await assert.rejects(fs.stat(dir))
    await fs.mkdir(dir)
  })
})

describe('status table in experiment_summary.md', () => {
  it('appended at the end the first time, replaced between the markers after; other bytes untouched', () => {
    const person = '# Experiment: x\n\nWritten by hand.'
    const first = withStatusTable(person, '| a |')
    assert.equal(first, `${person}\n\n${STATUS_START}\n| a |\n${STATUS_END}\n`)
    const edited = `${first}\nMore notes after the table.\n`
    const second = withStatusTable(edited, '| b |')
    assert.equal(second, edited.replace('| a |', '| b |'))
    assert.equal(withStatusTable(second, '| b |'), second)
  })

  it('bytes that are not UTF-8 and CRLF line ends outside the markers survive the rewrite', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-status-'))
    try {
      const file = path.join(dir, 'experiment_summary.md')
      const before = Buffer.concat([
        Buffer.from('# T\r\nlatin1: '),
        Buffer.from([0xe9, 0xff]),
        Buffer.from(`\r\n${STATUS_START}\nold\n${STATUS_END}\r\ntail \u00e9\r\n`),
      ])
      await fs.writeFile(file, before, {mode: 0o640})
      assert.equal(await writeStatusTable(file, '| v — ✓ |'), true)
      const after = await fs.readFile(file)
      const cut = (b: Buffer) => [
        b.subarray(0, b.indexOf(STATUS_START) + STATUS_START.length),
        b.subarray(b.indexOf(STATUS_END)),
      ]
      assert.deepEqual(cut(after), cut(before))
      assert.match(after.toString('utf8'), /\| v — ✓ \|/)
      assert.equal((await fs.stat(file)).mode & 0o777, 0o640)
      assert.equal(await writeStatusTable(path.join(dir, 'none.md'), 'x'), false)
    } finally {
      await fs.rm(dir, {force: true, recursive: true})
    }
  })
})

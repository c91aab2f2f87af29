import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {lossCurves} from '../../src/report/gather.js'
import {type AheadMessage, READ_AHEAD_SOURCE, readAheadOf} from '../../src/report/read-ahead.js'

/**
 * The writer thread's read-ahead script, run from its source text alone (as the thread runs it) over real folders:
 * what it reads is what the main thread reads itself.
 */
describe("read-ahead: the page writer thread's reads and drawings, from its source text", () => {
  let root: string
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-read-ahead-'))
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
      fs.writeFileSync(path.join(root, rel), text)
    }
    const lines = (n: number, f: (i: number) => object | string) =>
      Array.from({length: n}, (_, i) => (typeof f(i) === 'string' ? f(i) : JSON.stringify(f(i)))).join('\n') + '\n'
    write('a/config.yaml', 'lr: 0.1\n')
    write('a/checkpoints/best.pt', 'x')
    write(
      'a/runs/r1/metrics.jsonl',
      lines(2500, (i) => ({loss: 1 / (i + 1), step: i * 3})),
    )
    write(
      'a/runs/r2/metrics.jsonl',
      lines(300, (i) => (i % 7 === 0 ? 'garbage' : {loss: Math.sin(i) * 2})),
    )
    fs.mkdirSync(path.join(root, 'a/runs/r3'), {recursive: true})
    write('b/checkpoints/r1/model.pt', 'x')
    write(
      'b/runs/r1/metrics.jsonl',
      lines(1, () => ({loss: 0.5, step: 7})),
    )
  })
  after(() => fs.rmSync(root, {force: true, recursive: true}))

  it('reads configs, finds checkpoint folders, and parses every curve as the main thread does', () => {
    let sent: AheadMessage | undefined
    const run = new Function(
      'fs',
      'path',
      'parentPort',
      'aheadDirs',
      'configFile',
      'metricsFile',
      'failure',
      'report',
      `${READ_AHEAD_SOURCE}\nreadAhead()\nreturn failure`,
    ) as (...args: unknown[]) => unknown
    const dirs = ['a', 'b', 'missing'].map((d) => path.join(root, d))
    const parentPort = {postMessage: (m: {ahead: AheadMessage}) => (sent = m.ahead)}
    const failure = run(fs, path, parentPort, dirs, 'config.yaml', 'metrics.jsonl', undefined, () => {})
    assert.equal(failure, undefined)
    const ahead = readAheadOf(sent)
    assert.deepEqual([...ahead.configs], [[path.join(dirs[0], 'config.yaml'), 'lr: 0.1\n']])
    assert.deepEqual([...ahead.noCheckpoints], [dirs[0], dirs[2]])
    const losses = lossCurves()
    const runDirs = ['a/runs/r1', 'a/runs/r2', 'a/runs/r3', 'b/runs/r1'].map((d) => path.join(root, d))
    assert.deepEqual([...ahead.curves.keys()].sort(), runDirs)
    for (const d of runDirs) {
      assert.deepEqual([...ahead.curves.get(d)!], Array.from(losses(d)), d)
    }
    assert.equal(ahead.curves.get(runDirs[0])!.length, 5000)
  })
})

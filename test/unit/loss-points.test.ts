import assert from 'node:assert/strict'

// @ts-expect-error bench/ is plain JavaScript: its seeded PRNG, so the files are the same on every run
import {prng} from '../../bench/generate.js'
import {lossPoints} from '../../src/report/loss-points.js'
import {type MetricsRow, parseMetrics} from '../../src/runs/metrics.js'

/** One curve: the (step, value) points of `key`, in file order; a row without a numeric step uses its index. */
function curve(rows: MetricsRow[], key: string): Array<[number, number]> {
  const points: Array<[number, number]> = []
  for (const [i, row] of rows.entries()) {
    const v = row[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) continue
    points.push([typeof row.step === 'number' && Number.isFinite(row.step) ? row.step : i, v])
  }
  return points
}

/** What a metrics.jsonl line can be: what engines write, and what a crash, a stray print or a hand edit leaves. */
const LINES = [
  (i: number) => JSON.stringify({loss: 1 / (i + 1), stage: 'train', step: i + 1}),
  (i: number) => JSON.stringify({loss: i % 7, step: i * 10}),
  (i: number) => JSON.stringify({loss: -0, step: `${i}`}),
  (i: number) => JSON.stringify({accuracy: i / 100, step: i}),
  (i: number) => JSON.stringify({loss: 1e300 * 10, step: i}).replace('null', '1e400'),
  (i: number) => JSON.stringify({loss: i}),
  () => '{"loss": "0.5", "step": 3}',
  () => '[1, 2]',
  () => 'null',
  () => '',
  () => '   ',
  () => '{"loss": 0.25, "step": 4',
  () => 'epoch 3 done',
  () => '{"loss": 1e-9, "step": 1.5e3}',
  () => '{"step": null, "loss": 2}',
]

/** `curve(parseMetrics(text), 'loss')` flattened: what lossPoints must give for every text. */
const expected = (text: string) => curve(parseMetrics(text), 'loss').flat()

describe('lossPoints: a metrics.jsonl loss curve, the same as parseMetrics + curve', () => {
  it('agrees on thousands of generated files, clean (the one-parse path) and damaged (line by line)', () => {
    const random = prng(18)
    let quick = 0
    for (let n = 0; n < 3000; n++) {
      const clean = n % 2 === 0
      const count = Math.floor(random() * 30)
      const lines = Array.from({length: count}, (_, i) =>
        LINES[clean ? Math.floor(random() * 2) : Math.floor(random() * LINES.length)](i),
      )
      const text = lines.join('\n') + (random() < 0.7 ? '\n' : '')
      if (clean && count > 0) quick++
      assert.deepEqual(lossPoints(text), expected(text), JSON.stringify(text))
    }
    assert.ok(quick > 1000)
  })

  it('runs from its own source text alone, as the page writer thread runs it', () => {
    const standalone = new Function(`return (${lossPoints.toString()})`)() as typeof lossPoints
    const text = `${JSON.stringify({loss: 0.5, step: 1})}\nnot json\n${JSON.stringify({loss: 0.25})}\n`
    assert.deepEqual(standalone(text), [1, 0.5, 1, 0.25])
    assert.deepEqual(standalone(text), expected(text))
  })
})

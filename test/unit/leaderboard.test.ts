import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {esc, renderLeaderboardHtml} from '../../src/leaderboard/html.js'
import {
  type Leaderboard,
  readLeaderboard,
  showLeaderboard,
  upsertEntry,
  writeLeaderboard,
} from '../../src/leaderboard/leaderboard.js'
import {removeDir, tempDir} from '../support/exp.js'

const entry = (experiment: string, value: number, metrics: Record<string, number> = {}) => ({
  config: `configs/train_${experiment}.yaml`,
  experiment,
  gates_passed: true,
  metric: 'final_nrmse',
  metrics,
  promoted_at: '2025-02-01T00:00:00.000Z',
  value,
})

describe('leaderboard CSV', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(() => removeDir(dir))

  it('upserts one row per experiment, sorts best first, ranks, and round-trips through csv', async () => {
    const file = path.join(dir, 'lb.csv')
    let board = await readLeaderboard(file)
    assert.equal(board.exists, false)
    board = upsertEntry(board, entry('b', 0.2, {final_loss: 1.5, created_at: 1_700_000_000}), 'min')
    board = upsertEntry(board, entry('a', 0.3, {epochs: 100}), 'min')
    board = upsertEntry(board, entry('c', 0.1), 'min')
    board = upsertEntry(board, entry('a', 0.05, {epochs: 120}), 'min') // a again: replaced, not added
    await writeLeaderboard(board)
    const text = await fs.readFile(file, 'utf8')
    assert.equal(text.split('\n')[0], 'rank,experiment,config,final_nrmse,gates_passed,promoted_at,epochs,final_loss')
    const back = await readLeaderboard(file)
    assert.deepEqual(
      back.rows.map((r) => [r.rank, r.experiment, r.final_nrmse, r.epochs]),
      [
        ['1', 'a', '0.05', '120'],
        ['2', 'c', '0.1', ''],
        ['3', 'b', '0.2', ''],
      ],
    )
    assert.equal(back.metric, 'final_nrmse')
    const view = await showLeaderboard(file, {top: 2})
    assert.equal(view.total, 3)
    assert.deepEqual(view.rows[0], {
      config: 'configs/train_a.yaml',
      epochs: 120,
      experiment: 'a',
      final_loss: null,
      final_nrmse: 0.05,
      gates_passed: true,
      promoted_at: '2025-02-01T00:00:00.000Z',
      rank: 1,
    })
  })

  it('direction max puts the highest first', () => {
    let board: Leaderboard = {columns: [], exists: false, file: 'x', metric: null, rows: []}
    for (const [n, v] of [
      ['x', 0.7],
      ['y', 0.9],
      ['z', 0.8],
    ] as const)
      board = upsertEntry(board, {...entry(n, v), metric: 'accuracy'}, 'max')
    assert.deepEqual(
      board.rows.map((r) => r.experiment),
      ['y', 'z', 'x'],
    )
  })

  it('quotes commas, quotes and newlines in cells (real CSV)', async () => {
    const file = path.join(dir, 'lb.csv')
    await writeLeaderboard(
      upsertEntry(
        {columns: [], exists: false, file, metric: null, rows: []},
        {...entry('odd', 0.1), config: 'configs/a,"b"\nc.yaml'},
        'min',
      ),
    )
    const back = await readLeaderboard(file)
    assert.equal(back.rows[0].config, 'configs/a,"b"\nc.yaml')
  })

  it('refuses a file that is not CSV or not a leaderboard, with one line', async () => {
    const file = path.join(dir, 'lb.csv')
    await fs.writeFile(file, 'rank,experiment\n1,"unterminated\n')
    await assert.rejects(
      readLeaderboard(file),
      (e: Error) => /is not valid CSV/.test(e.message) && !e.message.includes('\n'),
    )
    await fs.writeFile(file, 'a,b,c\n1,2,3\n')
    await assert.rejects(readLeaderboard(file), /is not an exp leaderboard/)
  })

  it('the HTML page escapes every value', async () => {
    const file = path.join(dir, 'lb.csv')
    await writeLeaderboard(
      upsertEntry(
        {columns: [], exists: false, file, metric: null, rows: []},
        entry('<script>alert(1)</script>', 0.1),
        'min',
      ),
    )
    const html = renderLeaderboardHtml(await showLeaderboard(file), {generatedAt: new Date(0)})
    assert.ok(!html.includes('<script>'))
    assert.ok(html.includes(esc('<script>alert(1)</script>')))
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no network references')
  })
})

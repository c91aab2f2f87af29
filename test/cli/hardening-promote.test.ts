import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {
  assertOneLineError,
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  tempDir,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

/**
 * Issue 12: promote and rollback keep their records (8), .new-* folders that are not exp's (15), the smaller items
 * (17): promotions that is not a list, one metric per leaderboard, overlapping paths, a refused command leaves no trace.
 */
const readJson = async (ws: string, rel: string) => JSON.parse(await fs.readFile(path.join(ws, rel), 'utf8'))
const rowsOf = async (ws: string, rel = 'reports/leaderboard.csv') =>
  (await fs.readFile(path.join(ws, rel), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
const passing = (value: number, extra: Record<string, unknown> = {}) => ({
  'reports/eval.json': {final_loss: value * 10, final_nrmse: value, gates_passed: true},
  ...extra,
})

describe('hardening: promote records, .new-* folders, the smaller items (issue 12)', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await tempDir()
    assert.equal((await exp(['init', ws], {cwd: ws})).code, 0)
  })
  afterEach(() => removeDir(ws))

  it('8: promoting again repairs a missing metadata.json entry and leaderboard row', async () => {
    await makeExperiment(ws, '2025-01-22-x', passing(0.05, {'metadata.json': {hypothesis: 'h'}}))
    assert.equal((await exp(['promote', 'x', '--auto-promote'], {cwd: ws})).code, 0)
    // what a promotion killed after writing the production file left (before this change)
    await writeTree(ws, {
      'experiments/2025-01-22-x/metadata.json': {hypothesis: 'h'},
      'reports/leaderboard.csv': 'rank,experiment,config,final_nrmse,gates_passed,promoted_at\n',
    })
    const r = await expJson(['promote', 'x', '--force', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.promotions[0].action, 'repaired')
    assert.match(
      r.json.promotions[0].message,
      /recorded what was missing: the metadata\.json entry and the leaderboard row/,
    )
    const meta = await readJson(ws, 'experiments/2025-01-22-x/metadata.json')
    assert.equal(meta.hypothesis, 'h')
    assert.equal(meta.promotions.length, 1)
    assert.equal(meta.promotions[0].target, 'configs/train_x.yaml')
    assert.deepEqual(
      (await rowsOf(ws)).map((r) => r[1]),
      ['2025-01-22-x'],
    )
    const again = await expJson(['promote', 'x', '--auto-promote'], {cwd: ws})
    assert.equal(again.json.promotions[0].action, 'unchanged', 'nothing missing any more')
  })

  it('8: rollback marks the promotion rolled back and removes its leaderboard row; rolling back again goes one further', async () => {
    await makeExperiment(ws, '2025-01-22-x', passing(0.05, {'config.yaml': 'a: 1\n'}))
    await makeExperiment(ws, '2025-01-23-y', passing(0.04, {'config.yaml': 'a: 2\n'}))
    const promote = (name: string) =>
      exp(['promote', name, '--config-name', 'prod', '--force', '--auto-promote'], {cwd: ws})
    assert.equal((await promote('x')).code, 0)
    assert.equal((await promote('y')).code, 0)
    assert.deepEqual(
      (await rowsOf(ws)).map((r) => r[1]),
      ['2025-01-23-y', '2025-01-22-x'],
    )
    const r = await expJson(['promote', '--rollback', 'prod.yaml'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.metadata_marked, true)
    assert.equal(r.json.leaderboard, 'reports/leaderboard.csv')
    assert.ok((await readJson(ws, 'experiments/2025-01-23-y/metadata.json')).promotions[0].rolled_back_at)
    assert.deepEqual(
      (await rowsOf(ws)).map((r) => [r[0], r[1]]),
      [['1', '2025-01-22-x']],
      'y is off the board, x ranked 1',
    )
    assert.match(await fs.readFile(path.join(ws, 'configs/prod.yaml'), 'utf8'), /^# experiment: 2025-01-22-x$/m)
    assertOneLineError(
      await exp(['promote', '--rollback', 'prod.yaml'], {cwd: ws}),
      /no previous version of configs\/prod\.yaml/,
    )
  })

  it("15: a .new-* folder exp did not make is left alone and reported by exp list; exp's own leftover is removed", async () => {
    await writeTree(ws, {
      'experiments/.new-ideas/plan.md': 'my ideas\n',
      'experiments/.new-a-1a2b3c4d/config.yaml': 'x: 1\n',
      'experiments/.new-a-1a2b3c4d/.exp-new-in-progress': '.new-a-1a2b3c4d\n',
    })
    const r = await exp(['new', 'b', '--date', '2025-01-22'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await fs.readFile(path.join(ws, 'experiments/.new-ideas/plan.md'), 'utf8'), 'my ideas\n')
    assert.ok(!existsSync(path.join(ws, 'experiments/.new-a-1a2b3c4d')), 'the folder a killed exp new left is removed')
    assert.ok(
      !existsSync(path.join(ws, 'experiments/2025-01-22-b/.exp-new-in-progress')),
      'the marker does not stay in the experiment',
    )
    const list = await expJson(['list'], {cwd: ws})
    assert.deepEqual(list.json.warnings, [
      'experiments/.new-ideas: not an experiment (a hidden .new-* folder exp did not make); left alone',
    ])
  })

  it('17: "promotions" that is not a list is refused, naming it; nothing is written', async () => {
    await makeExperiment(ws, '2025-01-22-x', passing(0.05, {'metadata.json': {promotions: 'x'}}))
    const before = await treeSnapshot(ws)
    assertOneLineError(
      await exp(['promote', 'x', '--auto-promote'], {cwd: ws}),
      /metadata\.json: "promotions" is not a list/,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('17: a promotion by another metric goes to a board of its own, or is refused naming the flag', async () => {
    await makeExperiment(ws, '2025-01-22-x', passing(0.05))
    await makeExperiment(ws, '2025-01-23-y', passing(0.04))
    assert.equal((await exp(['promote', 'x', '--auto-promote'], {cwd: ws})).code, 0)
    const shared = await fs.readFile(path.join(ws, 'reports/leaderboard.csv'), 'utf8')
    const r = await expJson(['promote', 'y', '--metric', 'final_loss', '--direction', 'max', '--auto-promote'], {
      cwd: ws,
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.promotions[0].leaderboard, 'reports/leaderboard-final_loss-max.csv')
    assert.equal(
      await fs.readFile(path.join(ws, 'reports/leaderboard.csv'), 'utf8'),
      shared,
      'the shared board is not re-ranked',
    )
    assert.equal((await rowsOf(ws, 'reports/leaderboard-final_loss-max.csv'))[0][3], '0.4')
    await makeExperiment(ws, '2025-01-24-z', passing(0.03))
    assertOneLineError(
      await exp(
        ['promote', 'z', '--metric', 'final_loss', '--leaderboard-csv', 'reports/leaderboard.csv', '--auto-promote'],
        {cwd: ws},
      ),
      /reports\/leaderboard\.csv ranks by final_nrmse; a promotion by final_loss would re-rank it\. Try: --leaderboard-csv FILE/,
    )
    assert.equal(await fs.readFile(path.join(ws, 'reports/leaderboard.csv'), 'utf8'), shared)
  })

  it('17: overlapping paths.* are refused at load; a refused archive of an active experiment creates nothing, not even .exp/', async () => {
    await makeExperiment(ws, '2025-01-22-live')
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', 'live', '--yes'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(r.stdout + r.stderr, /it is active/)
    assert.ok(!existsSync(path.join(ws, '.exp')), 'no .exp/')
    assert.deepEqual(await treeSnapshot(ws), before)
    await fs.writeFile(path.join(ws, 'exp.yaml'), 'version: 1\npaths:\n  archive: experiments/archive\n')
    assertOneLineError(
      await exp(['list'], {cwd: ws}),
      /"paths\.archive" \(experiments\/archive\) and "paths\.experiments" \(experiments\) overlap/,
    )
  })
})

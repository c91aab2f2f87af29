import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {
  assertOneLineError,
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  tempDir,
  tempWorkspace,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

/**
 * Issue 12, records and reports as untrusted input: output files that are not exp's (7), bounded parsing (9),
 * spreadsheet formulas in the leaderboard (11), verdicts in code blocks and comments (12), times (13).
 */
const read = (ws: string, rel: string) => fs.readFile(path.join(ws, rel), 'utf8')
const passing = (value = 0.05, extra: Record<string, unknown> = {}) => ({
  final_nrmse: value,
  gates_passed: true,
  ...extra,
})

describe('hardening: records are input (issue 12)', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  let outside: string
  beforeEach(async () => {
    ws = await tempWorkspace()
    outside = await tempDir()
  })
  afterEach(async () => {
    await removeDir(ws)
    await removeDir(outside)
  })

  describe('7: output files', () => {
    beforeEach(async () => {
      await makeExperiment(ws, '2025-01-22-x', {'reports/eval.json': passing()})
      assert.equal((await exp(['promote', 'x', '--auto-promote'], {cwd: ws})).code, 0)
    })

    it('--html refuses the leaderboard, exp.yaml, a folder and a missing folder; it replaces only its own page', async () => {
      const before = await treeSnapshot(ws)
      assertOneLineError(
        await exp(['leaderboard', '--html', 'reports/leaderboard.csv'], {cwd: ws}),
        /--html reports\/leaderboard\.csv: exists and is not an HTML page written by exp/,
      )
      assertOneLineError(
        await exp(['leaderboard', '--html', 'exp.yaml'], {cwd: ws}),
        /--html exp\.yaml: that is the workspace's own settings file/,
      )
      assertOneLineError(await exp(['leaderboard', '--html', 'reports'], {cwd: ws}), /--html reports: is a folder/)
      assertOneLineError(
        await exp(['leaderboard', '--html', path.join(outside, 'no', 'dir', 'x.html')], {cwd: ws}),
        /does not exist \(exp does not create folders for it\)/,
      )
      assert.deepEqual(await treeSnapshot(ws), before, 'nothing written in the workspace')
      assert.deepEqual(await fs.readdir(outside), [], 'no folder created, no temporary file left')
      await writeTree(outside, {'notes.html': '<html>my own page</html>'})
      assertOneLineError(
        await exp(['leaderboard', '--html', path.join(outside, 'notes.html')], {cwd: ws}),
        /exists and is not an HTML page written by exp/,
      )
      assert.equal(await fs.readFile(path.join(outside, 'notes.html'), 'utf8'), '<html>my own page</html>')
      const page = path.join(outside, 'board.html')
      assert.equal((await exp(['leaderboard', '--html', page], {cwd: ws})).code, 0)
      assert.equal((await exp(['leaderboard', '--html', page], {cwd: ws})).code, 0, 'its own page is replaced')
      assert.deepEqual((await fs.readdir(outside)).sort(), ['board.html', 'notes.html'])
    })

    it('--leaderboard-csv refuses a folder, a file that is not a leaderboard and a missing folder, in one line', async () => {
      assertOneLineError(
        await exp(['leaderboard', '--leaderboard-csv', outside], {cwd: ws}),
        /is a folder, not a leaderboard CSV/,
      )
      await makeExperiment(ws, '2025-01-23-y', {'reports/eval.json': passing(0.04)})
      const before = await treeSnapshot(ws)
      const promote = (file: string) => exp(['promote', 'y', '--auto-promote', '--leaderboard-csv', file], {cwd: ws})
      assertOneLineError(await promote(outside), /--leaderboard-csv .*: is a folder/)
      assertOneLineError(
        await promote('exp.yaml'),
        /--leaderboard-csv exp\.yaml: that is the workspace's own settings file/,
      )
      assertOneLineError(await promote('configs/train_x.yaml'), /exists and is not an exp leaderboard/)
      assertOneLineError(await promote(path.join(outside, 'missing', 'board.csv')), /does not exist/)
      assert.deepEqual(await treeSnapshot(ws), before, 'nothing written')
      assert.deepEqual(await fs.readdir(outside), [])
    })
  })

  describe('9: bounded parsing', () => {
    const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n)

    it('a report nested 5,000 deep is invalid with a warning; list, promote and the weekly archive still work', async () => {
      await makeExperiment(ws, '2025-01-22-deep', {
        'reports/eval.json': `{"final_nrmse": 0.01, "errors": ${deep(5000)}}`,
      })
      await makeExperiment(ws, '2025-01-22-fine', {'reports/eval.json': passing()})
      const list = await expJson(['list'], {cwd: ws})
      assert.equal(list.code, 0, list.stderr)
      assert.ok(
        list.json.warnings.some((w: string) =>
          /reports\/eval\.json: not valid JSON \(nested more than 100 levels deep\); not used as a verdict/.test(w),
        ),
        list.json.warnings.join('\n'),
      )
      assertOneLineError(await exp(['promote', 'deep', '--auto-promote'], {cwd: ws}), /cannot be promoted/)
      assert.equal((await exp(['promote', 'fine', '--auto-promote'], {cwd: ws})).code, 0)
      const archive = await expJson(['archive', '--status', 'all', '--yes'], {cwd: ws})
      assert.equal(archive.code, 0, archive.stderr)
    })

    it('metadata.json nested too deep is a warning; an alias bomb or a deep exp.yaml is one line', async () => {
      await makeExperiment(ws, '2025-01-22-meta', {'metadata.json': `{"status": "success", "x": ${deep(5000)}}`})
      const list = await expJson(['list'], {cwd: ws})
      assert.equal(list.code, 0, list.stderr)
      assert.ok(
        list.json.warnings.some((w: string) =>
          /metadata\.json: not valid JSON \(nested more than 100 levels deep\)/.test(w),
        ),
      )
      const bomb = [
        'a: &a [x,x,x,x,x,x,x,x,x]',
        ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`),
      ].join('\n')
      await fs.writeFile(path.join(ws, 'exp.yaml'), `${bomb}\n`)
      assertOneLineError(await exp(['list'], {cwd: ws}), /invalid YAML in .*exp\.yaml: .*alias/i)
      await fs.writeFile(path.join(ws, 'exp.yaml'), `version: 1\ngates: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)
      assertOneLineError(
        await exp(['list'], {cwd: ws, timeout: 20_000}),
        /invalid YAML in .*exp\.yaml: nested more than 100 levels deep/,
      )
    })
  })

  it('11: names and keys that a spreadsheet would run are written with a leading quote; numbers stay numbers', async () => {
    const name = '=HYPERLINK("evil.example","x")'
    await makeExperiment(ws, name, {
      'reports/eval.json': passing(0.05, {"=cmd|' /C calc'!A0": 1, log_likelihood: -0.5}),
    })
    const r = await exp(['promote', name, '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const csv = await read(ws, 'reports/leaderboard.csv')
    assert.ok(!/(^|,)"?[=+@]/m.test(csv), `no cell starts a formula:\n${csv}`)
    assert.match(csv, /'=HYPERLINK/)
    assert.match(csv, /'=cmd/)
    assert.match(csv.split('\n')[1], /,-0\.5(,|$)/, 'a negative number is written as a number')
    const board = await expJson(['leaderboard'], {cwd: ws})
    assert.equal(board.json.rows[0].experiment, name, 'read back as it was')
    assert.equal(board.json.rows[0].log_likelihood, -0.5)
    // promoting again replaces its row, never adds a second one
    await fs.rm(path.join(ws, 'configs'), {force: true, recursive: true})
    await fs.mkdir(path.join(ws, 'configs'))
    assert.equal((await exp(['promote', name, '--auto-promote'], {cwd: ws})).code, 0)
    assert.equal((await expJson(['leaderboard'], {cwd: ws})).json.total, 1)
  })

  it('12: a Status line inside a fenced code block or an HTML comment is not a verdict', async () => {
    const notes = '# x\n\nHow to mark it:\n\n```\nStatus: ✓\n```\n\n<!--\nResult: ✓\n-->\n<!-- Status: ✓ -->\n'
    await makeExperiment(ws, '2025-01-22-x', {
      'notes.md': notes,
      'reports/eval.json': {final_nrmse: 0.3, gates_passed: false},
    })
    await makeExperiment(ws, '2025-01-22-y', {'notes.md': `${notes}\nStatus: ✗ diverged\n`})
    const list = await expJson(['list'], {cwd: ws})
    const by = Object.fromEntries(list.json.experiments.map((e: any) => [e.name, e]))
    assert.equal(by['2025-01-22-x'].status, 'failed')
    assert.equal(by['2025-01-22-x'].rule, 'report')
    assert.equal(by['2025-01-22-y'].status, 'failed')
    assert.match(by['2025-01-22-y'].reason, /notes\.md line 14: Status: ✗ diverged/)
  })

  describe('13: time', () => {
    it('a report dated 2099 is clamped to its file time with a warning, so a newer run report wins', async () => {
      const recent = new Date(Date.now() - 60_000).toISOString()
      await makeExperiment(ws, '2025-01-22-x', {
        'reports/future.json': passing(0.05, {created_at: '2099-01-01T00:00:00Z'}),
        'reports/new.json': {created_at: recent, final_nrmse: 0.4, gates_passed: false},
      })
      const old = new Date(Date.now() - 86_400_000)
      await fs.utimes(path.join(ws, 'experiments/2025-01-22-x/reports/future.json'), old, old)
      const list = await expJson(['list'], {cwd: ws})
      const [e] = list.json.experiments
      assert.equal(e.status, 'failed')
      assert.match(e.reason, /reports\/new\.json/)
      assert.ok(
        list.json.warnings.some((w: string) =>
          /future\.json: its time 2099-01-01T00:00:00\.000Z is in the future; the file's time is used instead/.test(w),
        ),
      )
    })

    it('equal timestamps: the later file name wins, and the reason names the tie', async () => {
      const at = '2025-01-22T10:00:00Z'
      for (const [first, second, status] of [
        ['a-pass', 'b-fail', 'failed'],
        ['a-fail', 'b-pass', 'success'],
      ]) {
        const name = `2025-01-22-${status}`
        await makeExperiment(ws, name, {
          [`reports/${first}.json`]: {created_at: at, final_nrmse: 0.05, gates_passed: first.endsWith('pass')},
          [`reports/${second}.json`]: {created_at: at, final_nrmse: 0.05, gates_passed: second.endsWith('pass')},
        })
        const [e] = (await expJson(['list'], {cwd: ws})).json.experiments.filter((x: any) => x.name === name)
        assert.equal(e.status, status)
        assert.match(
          e.reason,
          new RegExp(
            `^experiments/[^/]+/reports/${second}\\.json: gates_passed is (true|false) \\(same time as experiments/[^/]+/reports/${first}\\.json: the later file name wins\\)$`,
          ),
        )
      }
    })

    it('a file modified in the future counts as changed now, with a warning; 20250102 is not an epoch time', async () => {
      const dir = await makeExperiment(ws, '2025-01-22-x')
      const future = new Date('2099-01-01T00:00:00Z')
      await fs.utimes(path.join(dir, 'notes.md'), future, future)
      const list = await expJson(['list'], {cwd: ws})
      assert.equal(list.json.experiments[0].status, 'active')
      assert.ok(
        list.json.warnings.some((w: string) =>
          /notes\.md: modified in the future \(2099-01-01T00:00:00\.000Z\); taken as now/.test(w),
        ),
        list.json.warnings.join('\n'),
      )
      // "timestamp": 20250102 is not 1970-08-23: the report's file time is used, so it is the newer one
      await makeExperiment(ws, '2025-01-23-y', {
        'reports/a.json': {created_at: '2025-06-01T00:00:00Z', final_nrmse: 0.4, gates_passed: false},
        'reports/b.json': passing(0.05, {timestamp: 20250102}),
      })
      const [y] = (await expJson(['list'], {cwd: ws})).json.experiments.filter((x: any) => x.name === '2025-01-23-y')
      assert.equal(y.status, 'success')
      assert.match(y.reason, /^experiments\/2025-01-23-y\/reports\/b\.json/)
    })
  })
})

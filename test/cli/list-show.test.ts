import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {
  age,
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  tempWorkspace,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

describe('exp list and exp show', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  before(async () => {
    ws = await tempWorkspace()
    // rule 4: fresh, no verdict → active; old, no verdict → stale
    await makeExperiment(ws, '2025-01-01-fresh')
    await age(await makeExperiment(ws, '2024-06-01-forgotten'), 45)
    // rule 3: reports in the experiment's reports/ and in the workspace's reports/
    await age(
      await makeExperiment(ws, '2025-01-10-good', {'reports/eval.json': {final_nrmse: 0.05, gates_passed: true}}),
      60,
    )
    await makeExperiment(ws, '2025-01-11-bad', {'reports/eval.json': {final_nrmse: 0.4, gates_passed: false}})
    await makeExperiment(ws, '2025-01-12-crashed', {
      'reports/eval.json': {error: 'CUDA out of memory', final_nrmse: 0.01},
    })
    await makeExperiment(ws, '2025-01-22-test-64dim')
    await writeTree(ws, {'reports/test_2025-01-22-test-64dim.json': {final_nrmse: 0.08, gates_passed: true}})
    await makeExperiment(ws, '2025-01-23-named')
    await writeTree(ws, {
      'reports/any-name.json': {experiment: '2025-01-23-named', final_nrmse: 0.3, gates_passed: false},
    })
    // newest report wins (created_at beats mtime)
    await makeExperiment(ws, '2025-01-24-newest', {
      'reports/a.json': {created_at: '2025-01-25T00:00:00Z', gates_passed: false},
      'reports/b.json': {created_at: '2025-01-26T00:00:00Z', final_nrmse: 0.07, gates_passed: true},
    })
    // rule 2 beats rule 3; metadata beats notes
    await makeExperiment(ws, '2025-01-25-notes', {
      'notes.md': '# x\n\nStatus: ✗ loss exploded\n',
      'reports/eval.json': {gates_passed: true},
    })
    await makeExperiment(ws, '2025-01-26-meta', {
      'metadata.json': {status: 'success'},
      'notes.md': 'Result: ✗\n',
      'reports/eval.json': {gates_passed: false},
    })
    // an invalid report is a warning, never a verdict
    await makeExperiment(ws, '2025-01-27-broken-report', {'reports/eval.json': '{"final_nrmse": 0.1,'})
  })
  after(() => removeDir(ws))

  const expected: Record<string, [string, RegExp]> = {
    '2024-06-01-forgotten': ['stale', /nothing changed for/],
    '2025-01-01-fresh': ['active', /no verdict yet/],
    '2025-01-10-good': ['success', /reports\/eval\.json: gates_passed is true/],
    '2025-01-11-bad': ['failed', /gates_passed is false/],
    '2025-01-12-crashed': ['failed', /error: CUDA out of memory/],
    '2025-01-22-test-64dim': ['success', /reports\/test_2025-01-22-test-64dim\.json/],
    '2025-01-23-named': ['failed', /reports\/any-name\.json/],
    '2025-01-24-newest': ['success', /reports\/b\.json/],
    '2025-01-25-notes': ['failed', /notes\.md line 3: Status: ✗ loss exploded/],
    '2025-01-26-meta': ['success', /metadata\.json status/],
    '2025-01-27-broken-report': ['active', /no verdict/],
  }

  it('classifies every experiment with its reason (--json)', async () => {
    const before = await treeSnapshot(ws)
    const r = await expJson(['list'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const got = Object.fromEntries(r.json.experiments.map((e: any) => [e.name, e]))
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort())
    for (const [name, [status, reason]] of Object.entries(expected)) {
      assert.equal(got[name].status, status, `${name}: ${got[name].reason}`)
      assert.match(got[name].reason, reason, name)
    }
    assert.deepEqual(r.json.summary, {active: 2, failed: 4, stale: 1, success: 4})
    assert.equal(got['2025-01-10-good'].metric.value, 0.05)
    assert.ok(r.json.warnings.some((w: string) => /broken-report: .*eval\.json: not valid JSON/.test(w)))
    assert.deepEqual(await treeSnapshot(ws), before, 'list changes nothing')
  })

  it('prints a table, the summary, and warnings on stderr', async () => {
    const r = await exp(['list'], {cwd: ws})
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^NAME\s+STATUS\s+LAST ACTIVITY\s+FINAL_NRMSE\s+REASON/m)
    assert.match(
      r.stdout,
      /2025-01-10-good\s+success\s+\d+\w ago\s+0\.05\s+experiments\/2025-01-10-good\/reports\/eval\.json/,
    )
    assert.match(r.stdout, /Active: 2 {2}Success: 4 {2}Failed: 4 {2}Stale: 1/)
    assert.match(r.stderr, /Warning: 2025-01-27-broken-report: .*not valid JSON/)
  })

  it('--status filters but the summary still counts everything', async () => {
    const r = await expJson(['list', '--status', 'failed', '--status', 'stale'], {cwd: ws})
    assert.equal(r.json.experiments.length, 5)
    assert.ok(r.json.experiments.every((e: any) => ['failed', 'stale'].includes(e.status)))
    const bad = await exp(['list', '--status', 'great'], {cwd: ws})
    assert.equal(bad.code, 2)
  })

  it('respects stale_days from exp.yaml', async () => {
    const settings = path.join(ws, 'exp.yaml')
    const original = await fs.readFile(settings, 'utf8')
    try {
      await fs.writeFile(settings, 'classification:\n  stale_days: 90\n')
      const r = await expJson(['list', '--status', 'stale'], {cwd: ws})
      assert.equal(r.json.experiments.length, 0)
    } finally {
      await fs.writeFile(settings, original)
    }
  })

  it('show accepts the name without its date and gives everything known', async () => {
    const r = await expJson(['show', 'good'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.name, '2025-01-10-good')
    assert.equal(r.json.status, 'success')
    assert.equal(r.json.reports_detail[0].metrics.final_nrmse, 0.05)
    const text = await exp(['show', '2025-01-10-good'], {cwd: ws})
    assert.match(
      text.stdout,
      /status: +success — experiments\/2025-01-10-good\/reports\/eval\.json: gates_passed is true/,
    )
  })

  it('show gives the config diff against the base for an experiment made by exp new', async () => {
    assert.equal(
      (await exp(['new', 'diffed', '--date', '2025-02-01', '--set', 'model.latent_dim=3'], {cwd: ws})).code,
      0,
    )
    try {
      const r = await expJson(['show', 'diffed'], {cwd: ws})
      assert.deepEqual(
        r.json.base.changes.map((c: any) => [c.key, c.to]),
        [['model.latent_dim', 3]],
      )
      assert.equal(r.json.base.changed_since_creation, false)
    } finally {
      await removeDir(path.join(ws, 'experiments/2025-02-01-diffed'))
    }
  })

  it('an unknown name fails; an ambiguous one lists the matches', async () => {
    const unknown = await exp(['show', 'nope'], {cwd: ws})
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no experiment named "nope"/)
    await makeExperiment(ws, '2025-03-01-fresh')
    try {
      const r = await exp(['show', 'fresh'], {cwd: ws})
      assert.equal(r.code, 1)
      assert.match(r.stderr, /"fresh" is ambiguous: 2025-01-01-fresh, 2025-03-01-fresh/)
    } finally {
      await removeDir(path.join(ws, 'experiments/2025-03-01-fresh'))
    }
  })
})

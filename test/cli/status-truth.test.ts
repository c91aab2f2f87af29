import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace, writeTree} from '../support/exp.js'

/**
 * Statuses that tell the truth (issue 20, findings 1 and 2): a launch that never started an engine is no evidence
 * about the experiment, and `active` says whether something runs (running/queued) or nothing does (idle, and why).
 */
describe('statuses that tell the truth', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  let fakeBin: string
  const passing = {'reports/eval.json': {final_nrmse: 0.027003880441965354, gates_passed: true}}

  before(async () => {
    ws = await tempWorkspace()
    // a machine without a cluster: sbatch exists but cannot reach the controller
    fakeBin = path.join(ws, 'fake-bin')
    await writeTree(fakeBin, {
      sbatch:
        '#!/bin/sh\necho "sbatch: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host" >&2\nexit 1\n',
    })
    await fs.chmod(path.join(fakeBin, 'sbatch'), 0o755)
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      'engines:\n  train: ["{python}", "-c", "import time; time.sleep(60)"]\n  evaluate: ["{python}", "-c", "pass"]\n',
    )
    await makeExperiment(ws, '2026-01-01-lat2', passing)
    await makeExperiment(ws, '2026-01-02-fresh')
    await makeExperiment(ws, '2026-01-03-slow')
    await makeExperiment(ws, '2026-01-04-wordy', {
      'notes.md': `# wordy\n\nStatus: ✗ ${'the loss diverged after the learning-rate warm-up because '.repeat(4)}end\n`,
    })
  })
  after(() => removeDir(ws))

  const listed = async (name: string) =>
    (await expJson(['list'], {cwd: ws})).json.experiments.find((e: any) => e.slug === name)

  it('a submission that failed before any engine ran is recorded "not started" and never overrides a passing report', async () => {
    const env = {PATH: `${fakeBin}:${process.env.PATH}`}
    const r = await exp(['launch', 'lat2', '--slurm'], {cwd: ws, env})
    assert.notEqual(r.code, 0, 'the launch itself failed')
    assert.match(r.stderr, /sbatch could not submit/)
    const item = await listed('lat2')
    assert.equal(item.status, 'success', item.reason)
    assert.match(
      item.reason,
      /^experiments\/2026-01-01-lat2\/reports\/eval\.json: gates_passed is true$/,
      'the path is given from the workspace root',
    )
    const runs = await expJson(['runs', 'lat2'], {cwd: ws})
    const [run] = runs.json.runs
    assert.equal(run.state, 'not started')
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state]),
      [
        ['train', 'not started'],
        ['evaluate', 'skipped'],
      ],
    )
    const record = JSON.parse(await fs.readFile(path.join(ws, run.dir, 'run.json'), 'utf8'))
    assert.equal(record.not_started, true)
    // promotion is not blocked and archive --status failed does not take it
    const archive = await expJson(['archive', '--status', 'failed', '--dry-run'], {cwd: ws})
    assert.ok(!JSON.stringify(archive.json).includes('2026-01-01-lat2'), JSON.stringify(archive.json))
  })

  it('active says what is going on: idle (never launched), running, idle (last run cancelled)', async () => {
    const fresh = await listed('fresh')
    assert.deepEqual([fresh.status, fresh.state, fresh.state_detail], ['active', 'idle', 'never launched'])
    assert.match(fresh.reason, /never launched/)
    const text = await exp(['list'], {cwd: ws})
    assert.match(text.stdout, /2026-01-02-fresh\s+active \(idle\)/)

    const launched = await expJson(['launch', 'slow', '--detach'], {cwd: ws})
    assert.equal(launched.code, 0, launched.stderr)
    try {
      const live = await listed('slow')
      assert.equal(live.status, 'active')
      assert.ok(['running', 'queued'].includes(live.state), live.state)
      assert.match(live.state_detail, new RegExp(`run ${launched.json.run_id} is (running|queued) on local`))
      const shown = await exp(['show', 'slow'], {cwd: ws})
      assert.match(shown.stdout, /state: +(running|queued) — run \S+ is (running|queued) on local/)
    } finally {
      const cancel = await exp(['cancel', 'slow', '--yes'], {cwd: ws})
      assert.equal(cancel.code, 0, cancel.stderr)
    }
    const idle = await listed('slow')
    assert.deepEqual(
      [idle.status, idle.state, idle.state_detail],
      ['active', 'idle', `last run ${launched.json.run_id} was cancelled`],
    )
    assert.match(idle.reason, /was cancelled/)
  })

  it('a verdict leaves no state; a long reason is one line of at most 100 characters in the table, whole in show and --json', async () => {
    const lat2 = await listed('lat2')
    assert.equal(lat2.state, null)
    const wordy = await listed('wordy')
    assert.ok(wordy.reason.length > 150, wordy.reason)
    const table = await exp(['list'], {cwd: ws})
    const row = table.stdout.split('\n').find((l) => l.startsWith('2026-01-04-wordy'))!
    const reason = row.slice(row.indexOf('notes.md'))
    assert.ok(reason.length <= 100 && reason.endsWith('…'), reason)
    const shown = await exp(['show', 'wordy'], {cwd: ws})
    assert.ok(shown.stdout.includes(wordy.reason), shown.stdout)
    const whole = await exp(['list', '--wide'], {cwd: ws})
    assert.ok(whole.stdout.includes(wordy.reason), whole.stdout)
  })
})

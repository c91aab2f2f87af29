import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

/** An engine whose behaviour the experiment's config.yaml picks (`mode: ok|fail`). */
const ENGINE = `import json, pathlib, sys
mode = open(sys.argv[2]).read().split(':')[1].strip()
if sys.argv[1] == 'train':
    if mode == 'fail':
        print('loss is NaN')
        sys.exit(3)
    pathlib.Path(sys.argv[3]).mkdir(parents=True, exist_ok=True)
    (pathlib.Path(sys.argv[3]) / 'weights.txt').write_text('w')
else:
    value = {'ok': 0.027003880441965354, 'ok2': 0.0312}[mode]
    pathlib.Path(sys.argv[4]).parent.mkdir(parents=True, exist_ok=True)
    json.dump({'final_nrmse': value, 'gates_passed': True}, open(sys.argv[4], 'w'))
`

/** The small lies of issue 20 (finding 8): each says what really happened. */
describe('small lies', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string

  before(async () => {
    ws = await tempWorkspace()
    await fs.writeFile(path.join(ws, 'engine.py'), ENGINE)
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      'engines:\n  train: ["{python}", "{workspace}/engine.py", train, "{config}", "{checkpoint_dir}"]\n  evaluate: ["{python}", "{workspace}/engine.py", evaluate, "{config}", "{checkpoint_dir}", "{report}"]\n',
    )
    for (const mode of ['ok', 'ok2', 'fail'])
      await makeExperiment(ws, `2026-02-01-${mode}`, {'config.yaml': `mode: ${mode}\n`})
  })
  after(() => removeDir(ws))

  it('a stage skipped because train failed is "skipped" (with why) in exp runs and exp logs', async () => {
    const r = await exp(['launch', 'fail'], {cwd: ws})
    assert.equal(r.code, 1, r.stderr)
    const runs = await expJson(['runs', 'fail'], {cwd: ws})
    assert.deepEqual(
      runs.json.runs[0].stages.map((s: any) => [s.name, s.state, s.why ?? null]),
      [
        ['train', 'failed', null],
        ['evaluate', 'skipped', 'train failed'],
      ],
    )
    const text = await exp(['runs', 'fail'], {cwd: ws})
    assert.match(text.stdout, / train\(3\) evaluate:skipped /)
    assert.doesNotMatch(text.stdout, /cancelled/)
    const logs = await exp(['logs', 'fail'], {cwd: ws})
    assert.match(logs.stdout, /loss is NaN/)
    assert.match(logs.stdout, /\(skipped: train failed; evaluate never ran\)/)
    assert.doesNotMatch(logs.stdout, /does not exist/)
  })

  it("exp watch of one experiment ends with the report's metric and the verdict", async () => {
    const launched = await expJson(['launch', 'ok', '--detach'], {cwd: ws})
    assert.equal(launched.code, 0, launched.stderr)
    const r = await exp(['watch', 'ok', '--interval', '0.2'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const last = r.stdout.trim().split('\n').pop()!
    assert.match(
      last,
      /^Result: 2026-02-01-ok: success — final_nrmse 0\.027 \(0\.027003880441965354\); experiments\/2026-02-01-ok\/reports\/\S+\.json: gates_passed is true$/,
    )
    const json = await expJson(['watch', 'ok'], {cwd: ws})
    assert.equal(json.json.outcome.status, 'success')
    assert.equal(json.json.outcome.metric.value, 0.027003880441965354)
  })

  it('exp show lists each promotion (target, when, metric, in force or rolled back); rollback takes the row off the leaderboard', async () => {
    assert.equal((await exp(['launch', 'ok2'], {cwd: ws})).code, 0)
    const first = await exp(
      ['promote', 'ok', '--config-name', 'prod.yaml', '--nrmse-threshold', '0.1', '--auto-promote'],
      {cwd: ws},
    )
    assert.equal(first.code, 0, first.stderr)
    const second = await exp(
      ['promote', 'ok2', '--config-name', 'prod.yaml', '--nrmse-threshold', '0.1', '--auto-promote', '--force'],
      {cwd: ws},
    )
    assert.equal(second.code, 0, second.stderr)
    let shown = await exp(['show', 'ok2'], {cwd: ws})
    assert.match(
      shown.stdout,
      /promotions: +1\n +configs\/prod\.yaml {2}promoted \d{4}-\d\d-\d\dT\S+ final_nrmse 0\.0312; in force/,
    )
    const board = await expJson(['leaderboard'], {cwd: ws})
    assert.deepEqual(board.json.rows.map((r: any) => r.experiment).sort(), ['2026-02-01-ok', '2026-02-01-ok2'])

    const back = await exp(['promote', '--rollback', 'prod.yaml'], {cwd: ws})
    assert.equal(back.code, 0, back.stderr)
    shown = await exp(['show', 'ok2'], {cwd: ws})
    assert.match(shown.stdout, /configs\/prod\.yaml {2}promoted \S+ final_nrmse 0\.0312; rolled back \d{4}-\d\d-\d\dT/)
    const after = await expJson(['leaderboard'], {cwd: ws})
    assert.deepEqual(
      after.json.rows.map((r: any) => r.experiment),
      ['2026-02-01-ok'],
    )
    const table = await exp(['leaderboard'], {cwd: ws})
    assert.doesNotMatch(table.stdout, /2026-02-01-ok2/)
  })
})

import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/** Training curves: the embedded engine appends to {metrics} = runs/<run-id>/metrics.jsonl; exp show gives the last values. */
describe('training curves: {metrics} and exp show', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let ws: string

  before(async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    const made = await exp(['new', 'curve', '--date', '2025-03-01', '--set', 'training.epochs=12'], {cwd: ws})
    assert.equal(made.code, 0, made.stderr)
  })
  after(() => removeDir(ws))

  it('train appends one line per epoch, evaluate one more; exp show reports the last values', async () => {
    const run = await expJson(['launch', 'curve'], {cwd: ws})
    assert.equal(run.code, 0, run.stderr)
    const file = path.join(ws, run.json.run_dir, 'metrics.jsonl')
    const rows = (await fs.readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(
      rows.map((r) => [r.stage, r.step]),
      [...Array.from({length: 12}, (_, i) => ['train', i + 1]), ['evaluate', 12]],
    )
    const report = JSON.parse(await fs.readFile(path.join(ws, run.json.report), 'utf8'))
    assert.equal(rows.at(-1).final_nrmse, report.final_nrmse)

    const show = await expJson(['show', 'curve'], {cwd: ws})
    assert.equal(show.code, 0, show.stderr)
    assert.deepEqual(show.json.metrics, {
      file: `runs/${run.json.run_id}/metrics.jsonl`,
      lines: 13,
      run_id: run.json.run_id,
      step: 12,
      values: {final_nrmse: report.final_nrmse, loss: rows[11].loss, max_nrmse: report.max_nrmse},
    })
    const text = await exp(['show', 'curve'], {cwd: ws})
    assert.match(
      text.stdout,
      new RegExp(
        `metrics: +runs/${run.json.run_id}/metrics\\.jsonl \\(13 lines, step 12\\): loss=\\S+ final_nrmse=\\S+ max_nrmse=\\S+`,
      ),
    )
  })

  it('an evaluate-only launch writes into its own run folder; show takes the newest run that has metrics', async () => {
    const run = await expJson(['launch', 'curve', '--stage', 'evaluate'], {cwd: ws})
    assert.equal(run.code, 0, run.stderr)
    const rows = (await fs.readFile(path.join(ws, run.json.run_dir, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n')
    assert.equal(rows.length, 1)
    const show = await expJson(['show', 'curve'], {cwd: ws})
    assert.equal(show.json.metrics.run_id, run.json.run_id)
    assert.equal(show.json.metrics.lines, 1)
    assert.equal(show.json.metrics.values.loss, undefined)
  })
})

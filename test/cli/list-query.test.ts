import assert from 'node:assert/strict'

import {exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

/** `exp list` for daily use (issue 20): --params, --sort, --limit, --where, --format table|csv|md. */
describe('exp list queries', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  const report = (nrmse: number) => ({
    'reports/eval.json': {final_nrmse: nrmse, gates_passed: nrmse < 0.1, train_loss: nrmse / 100},
  })

  before(async () => {
    ws = await tempWorkspace()
    await makeExperiment(ws, '2026-03-01-dim4', {
      'config.yaml': 'model:\n  latent_dim: 4\ntraining:\n  lr: 0.001\n',
      ...report(0.12),
    })
    await makeExperiment(ws, '2026-03-02-dim8', {
      'config.yaml': 'model:\n  latent_dim: 8\ntraining:\n  lr: 0.001\n',
      ...report(0.04),
    })
    await makeExperiment(ws, '2026-03-03-dim16', {
      'config.yaml': 'model:\n  latent_dim: 16\ntraining:\n  lr: 0.01\n',
      ...report(0.027003880441965354),
    })
    await makeExperiment(ws, '2026-03-04-idea', {'config.yaml': 'model:\n  latent_dim: 32\n'})
  })
  after(() => removeDir(ws))

  const names = (json: any) => json.experiments.map((e: any) => e.slug)

  it('--where filters (numbers as numbers, every condition must hold); --sort with - descends; --limit cuts after sorting', async () => {
    let r = await expJson(['list', '--where', 'final_nrmse<0.05'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(names(r.json).sort(), ['dim16', 'dim8'])
    r = await expJson(['list', '--where', 'final_nrmse<0.05', '--where', 'model.latent_dim>=16'], {cwd: ws})
    assert.deepEqual(names(r.json), ['dim16'])
    r = await expJson(['list', '--where', 'status=failed'], {cwd: ws})
    assert.deepEqual(names(r.json), ['dim4'])
    r = await expJson(['list', '--sort', 'final_nrmse'], {cwd: ws})
    assert.deepEqual(names(r.json), ['dim16', 'dim8', 'dim4', 'idea'], 'ascending; without the metric last')
    r = await expJson(['list', '--sort', '-model.latent_dim', '--limit', '2'], {cwd: ws})
    assert.deepEqual(names(r.json), ['idea', 'dim16'])
    r = await expJson(['list', '--sort', '-train_loss', '--limit', '1'], {cwd: ws})
    assert.deepEqual(names(r.json), ['dim4'], 'any numeric metric of the newest report')
  })

  it('--params adds config columns (and params in --json); --format csv and md', async () => {
    const json = await expJson(['list', '--params', 'model.latent_dim', '--params', 'training.lr', '--sort', 'name'], {
      cwd: ws,
    })
    assert.deepEqual(
      json.json.experiments.map((e: any) => e.params),
      [
        {'model.latent_dim': 4, 'training.lr': 0.001},
        {'model.latent_dim': 8, 'training.lr': 0.001},
        {'model.latent_dim': 16, 'training.lr': 0.01},
        {'model.latent_dim': 32, 'training.lr': null},
      ],
    )
    const table = await exp(['list', '--params', 'model.latent_dim', '--sort', 'name'], {cwd: ws})
    assert.match(table.stdout, /^NAME\s+STATUS\s+LAST ACTIVITY\s+FINAL_NRMSE\s+MODEL\.LATENT_DIM\s+REASON$/m)
    assert.match(table.stdout, /^2026-03-03-dim16\s+success\s+.*\s0\.027\s+16\s+experiments\//m)
    const csv = await exp(
      [
        'list',
        '--format',
        'csv',
        '--params',
        'model.latent_dim',
        '--where',
        'final_nrmse<0.05',
        '--sort',
        'final_nrmse',
      ],
      {cwd: ws},
    )
    assert.equal(csv.code, 0, csv.stderr)
    assert.deepEqual(csv.stdout.split('\n'), [
      'name,status,state,final_nrmse,model.latent_dim,reason',
      '2026-03-03-dim16,success,,0.027003880441965354,16,experiments/2026-03-03-dim16/reports/eval.json: gates_passed is true',
      '2026-03-02-dim8,success,,0.04,8,experiments/2026-03-02-dim8/reports/eval.json: gates_passed is true',
    ])
    const md = await exp(['list', '--format', 'md', '--where', 'slug=idea'], {cwd: ws})
    const lines = md.stdout.split('\n')
    assert.deepEqual(lines.slice(0, 2), [
      '| name | status | state | final_nrmse | reason |',
      '| --- | --- | --- | --- | --- |',
    ])
    assert.match(
      lines[2],
      /^\| 2026-03-04-idea \| active \| idle \| {2}\| no verdict yet; never launched; last change \d+s ago \|$/,
    )
  })

  it('a malformed --where or an unknown field is a usage error (exit 2), one line', async () => {
    for (const args of [
      ['--where', 'final_nrmse~1'],
      ['--where', 'nothing_like_this<1'],
      ['--sort', 'nothing_like_this'],
    ]) {
      const r = await exp(['list', ...args], {cwd: ws})
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^Error: (invalid --where|no experiment has "nothing_like_this")/)
    }
  })
})

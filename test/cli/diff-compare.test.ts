import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  requireTool,
  tempWorkspace,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

const A_CONFIG =
  'model:\n  latent_dim: 16\n  layers: [32, 32]\ntraining:\n  lr: 0.01\n  schedule: {kind: cosine}\nonly_a: true\n'
const B_CONFIG =
  'model:\n  latent_dim: 64\n  layers: [32, 64]\ntraining:\n  lr: 0.01\n  schedule: {kind: step}\nonly_b: "x"\n'

describe('exp diff', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let ws: string
  before(async () => {
    ws = await tempWorkspace()
    await makeExperiment(ws, '2025-02-01-small', {
      'config.yaml': A_CONFIG,
      'reports/eval.json': {accuracy: 0.7, final_nrmse: 0.2, gates_passed: false},
    })
    await makeExperiment(ws, '2025-02-02-large', {
      'config.yaml': B_CONFIG,
      'reports/eval.json': {final_nrmse: 0.05, gates_passed: true},
    })
  })
  after(() => removeDir(ws))

  it('two experiments: nested and list differences, a key on one side only, typed values, then the metrics (--json)', async () => {
    const r = await expJson(['diff', 'small', 'large'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.identical, false)
    assert.deepEqual(r.json.differences, [
      {a: 16, b: 64, in: 'both', key: 'model.latent_dim'},
      {a: [32, 32], b: [32, 64], in: 'both', key: 'model.layers'},
      {a: true, b: null, in: 'a', key: 'only_a'},
      {a: null, b: 'x', in: 'b', key: 'only_b'},
      {a: 'cosine', b: 'step', in: 'both', key: 'training.schedule.kind'},
    ])
    assert.deepEqual(r.json.a, {
      config_path: 'experiments/2025-02-01-small/config.yaml',
      kind: 'experiment',
      metrics: {accuracy: 0.7, final_nrmse: 0.2},
      report: 'experiments/2025-02-01-small/reports/eval.json',
      status: 'failed',
      subject: '2025-02-01-small',
    })
    assert.equal(r.json.b.subject, '2025-02-02-large')
    assert.deepEqual(r.json.metrics, ['final_nrmse', 'accuracy'])
  })

  it('prints the differing keys with both values, (absent) for a missing key, and the metrics', async () => {
    const r = await exp(['diff', 'small', 'large'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^--- 2025-02-01-small \(experiment: experiments\/2025-02-01-small\/config\.yaml\)$/m)
    assert.match(r.stdout, /^model\.latent_dim\s+16\s+64$/m)
    assert.match(r.stdout, /^model\.layers\s+\[32,32\]\s+\[32,64\]$/m)
    assert.match(r.stdout, /^only_a\s+true\s+\(absent\)$/m)
    assert.match(r.stdout, /^only_b\s+\(absent\)\s+x$/m)
    assert.doesNotMatch(r.stdout, /training\.lr/)
    assert.match(r.stdout, /^final_nrmse\s+0\.2\s+0\.05$/m)
    assert.match(r.stdout, /^accuracy\s+0\.7\s+-$/m)
  })

  it('--exit-code: 1 when they differ, 0 when not; without it 0 either way', async () => {
    assert.equal((await exp(['diff', 'small', 'large', '--exit-code'], {cwd: ws})).code, 1)
    assert.equal((await exp(['diff', 'small', 'small', '--exit-code'], {cwd: ws})).code, 0)
    assert.equal((await exp(['diff', 'small', 'large'], {cwd: ws})).code, 0)
    const j = await expJson(['diff', 'small', 'large', '--exit-code'], {cwd: ws})
    assert.equal(j.code, 1)
    assert.equal(j.json.identical, false)
  })

  it('an unknown subject or run is one line, exit 1', async () => {
    const r = await exp(['diff', 'small', 'nope'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: no experiment named "nope"\./)
    const run = await exp(['diff', 'small', 'large@20250101-000000-aaaa'], {cwd: ws})
    assert.equal(run.code, 1)
    assert.match(run.stderr, /has no run 20250101-000000-aaaa/)
  })

  describe('with a promoted config, a launched run and a variant', () => {
    let runId: string
    before(async function () {
      requireTool(
        this,
        (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
        'python3 for the embedded engine',
      )
      assert.equal((await exp(['new', 'golden-copy', '--date', '2025-02-03'], {cwd: ws})).code, 0)
      const dir = path.join(ws, 'experiments', '2025-02-03-golden-copy')
      await writeTree(dir, {'reports/eval.json': {final_nrmse: 0.04, gates_passed: true}})
      assert.equal(
        (await exp(['new', 'promoted', '--date', '2025-02-04', '--add', 'model.layers=[4, 8]'], {cwd: ws})).code,
        0,
      )
      await writeTree(path.join(ws, 'experiments', '2025-02-04-promoted'), {
        'reports/eval.json': {final_nrmse: 0.03, gates_passed: true},
      })
      const promoted = await exp(['promote', 'promoted', '--auto-promote'], {cwd: ws})
      assert.equal(promoted.code, 0, promoted.stderr)
      const launched = await expJson(['launch', 'golden-copy'], {cwd: ws})
      assert.equal(launched.code, 0, launched.stderr)
      runId = launched.json.run_id
      // the experiment's config moves on after the run; a variant folder of a sweep changes one key
      const config = await fs.readFile(path.join(dir, 'config.yaml'), 'utf8')
      await fs.writeFile(path.join(dir, 'config.yaml'), config.replace('latent_dim: 8 ', 'latent_dim: 12 '))
      await writeTree(dir, {
        'lr-high/config.yaml': config.replace('learning_rate: 0.05', 'learning_rate: 0.1'),
        'lr-high/reports/eval.json': {final_nrmse: 0.09, gates_passed: true},
      })
    })

    it('an experiment and its promoted config: no difference (the provenance header is not config)', async () => {
      assert.match(
        await fs.readFile(path.join(ws, 'configs', 'train_promoted.yaml'), 'utf8'),
        /^# Promoted by exp: provenance/,
      )
      const r = await expJson(['diff', 'promoted', 'configs/train_promoted.yaml', '--exit-code'], {cwd: ws})
      assert.equal(r.code, 0, JSON.stringify(r.json))
      assert.equal(r.json.identical, true)
      assert.deepEqual(r.json.differences, [])
      assert.equal(r.json.b.kind, 'config')
      const byName = await exp(['diff', 'train_promoted.yaml', 'promoted', '--exit-code'], {cwd: ws})
      assert.equal(byName.code, 0, byName.stdout)
      assert.match(byName.stdout, /The configs do not differ\./)
      // against the golden config it came from: the one key exp new --set changed
      const golden = await expJson(['diff', 'promoted', 'train_burgers_golden.yaml'], {cwd: ws})
      assert.deepEqual(golden.json.differences, [{a: [4, 8], b: null, in: 'a', key: 'model.layers'}])
    })

    it('the run keeps the config it ran: the experiment moved on, the run did not', async () => {
      const r = await expJson(['diff', 'golden-copy@' + runId, 'golden-copy'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.json.differences, [{a: 8, b: 12, in: 'both', key: 'model.latent_dim'}])
      assert.equal(r.json.a.kind, 'run')
      assert.equal(r.json.a.status, 'completed')
      assert.equal(r.json.a.config_path, `experiments/2025-02-03-golden-copy/runs/${runId}/config.yaml`)
      assert.equal(typeof r.json.a.metrics.final_nrmse, 'number', "the run report's metrics")
    })

    it("a variant and a run: only the variant's key differs; both sides' metrics", async () => {
      const r = await expJson(['diff', 'golden-copy/lr-high', 'golden-copy@' + runId], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.json.differences, [{a: 0.1, b: 0.05, in: 'both', key: 'training.learning_rate'}])
      assert.equal(r.json.a.kind, 'variant')
      assert.equal(r.json.a.subject, '2025-02-03-golden-copy/lr-high')
      assert.equal(r.json.a.metrics.final_nrmse, 0.09)
      assert.equal(r.json.a.report, 'experiments/2025-02-03-golden-copy/lr-high/reports/eval.json')
    })
  })
})

describe('exp compare', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let ws: string
  // five experiments: data.nx, training.epochs and model.activation are the same everywhere; latent_dim varies in all,
  // lr in one, layers (a list) in two, dropout exists in one only, name starts with "=" in one (a CSV formula)
  const configs: Record<string, [string, object | undefined]> = {
    '2025-03-01-a': [
      'model: {latent_dim: 8, layers: [16, 16], activation: relu, name: plain}\ntraining: {lr: 0.01, epochs: 100}\ndata: {nx: 64}\n',
      {final_nrmse: 0.3, gates_passed: false},
    ],
    '2025-03-02-b': [
      'model: {latent_dim: 16, layers: [16, 16], activation: relu, name: plain}\ntraining: {lr: 0.01, epochs: 100}\ndata: {nx: 64}\n',
      {final_nrmse: 0.05, gates_passed: true},
    ],
    '2025-03-03-c': [
      'model: {latent_dim: 32, layers: [32, 32], activation: relu, name: plain}\ntraining: {lr: 0.001, epochs: 100}\ndata: {nx: 64}\n',
      {final_nrmse: 0.1, gates_passed: true, accuracy: 0.9},
    ],
    '2025-03-04-d': [
      'model: {latent_dim: 64, layers: [16, 16], activation: relu, name: "=HYPERLINK(1)", dropout: 0.1}\ntraining: {lr: 0.01, epochs: 100}\ndata: {nx: 64}\n',
      {final_nrmse: 0.02, gates_passed: true},
    ],
    '2025-03-05-e': [
      'model: {latent_dim: 4, layers: [8, 8], activation: relu, name: plain}\ntraining: {lr: 0.01, epochs: 100}\ndata: {nx: 64}\n',
      undefined,
    ],
  }
  before(async () => {
    ws = await tempWorkspace()
    for (const [name, [config, report]] of Object.entries(configs))
      await makeExperiment(ws, name, {'config.yaml': config, ...(report ? {'reports/eval.json': report} : {})})
  })
  after(() => removeDir(ws))
  const names = Object.keys(configs)

  it('5 experiments: the columns are exactly the keys that vary, rows best first, no report last (--json)', async () => {
    const before = await treeSnapshot(ws)
    const r = await expJson(['compare', ...names], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.params, ['model.dropout', 'model.latent_dim', 'model.layers', 'model.name', 'training.lr'])
    assert.deepEqual(r.json.metrics, ['final_nrmse', 'accuracy'])
    assert.deepEqual(r.json.sort, {direction: 'min', metric: 'final_nrmse'})
    assert.deepEqual(
      r.json.rows.map((row: any) => [row.rank, row.subject]),
      [
        [1, '2025-03-04-d'],
        [2, '2025-03-02-b'],
        [3, '2025-03-03-c'],
        [4, '2025-03-01-a'],
        [null, '2025-03-05-e'],
      ],
    )
    const d = r.json.rows[0]
    assert.deepEqual(d.params, {
      'model.dropout': 0.1,
      'model.latent_dim': 64,
      'model.layers': [16, 16],
      'model.name': '=HYPERLINK(1)',
      'training.lr': 0.01,
    })
    assert.deepEqual(d.metrics, {accuracy: null, final_nrmse: 0.02})
    assert.equal(d.status, 'success')
    assert.equal(r.json.rows[1].params['model.dropout'], null, 'absent on that row')
    assert.deepEqual(await treeSnapshot(ws), before, 'compare changes nothing')
  })

  it('--csv parses with csv-parse; a value starting with = is escaped', async () => {
    const r = await exp(['compare', ...names, '--csv'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const {parse} = await import('csv-parse/sync')
    const rows = parse(r.stdout, {columns: true}) as Array<Record<string, string>>
    assert.equal(rows.length, 5)
    assert.deepEqual(Object.keys(rows[0]), [
      'rank',
      'subject',
      'status',
      'model.dropout',
      'model.latent_dim',
      'model.layers',
      'model.name',
      'training.lr',
      'final_nrmse',
      'accuracy',
    ])
    assert.deepEqual(
      rows.map((row) => row.subject),
      ['2025-03-04-d', '2025-03-02-b', '2025-03-03-c', '2025-03-01-a', '2025-03-05-e'],
    )
    assert.equal(rows[0]['model.name'], "'=HYPERLINK(1)")
    assert.equal(rows[0]['model.layers'], '[16,16]')
    assert.equal(rows[2].accuracy, '0.9')
    assert.equal(rows[4].rank, '')
  })

  it('--params, --metrics, --sort with --direction max, --md, and the table', async () => {
    const r = await expJson(
      [
        'compare',
        ...names,
        '--params',
        'model.latent_dim',
        '--params',
        'training',
        '--metrics',
        'accuracy',
        '--sort',
        'accuracy',
        '--direction',
        'max',
      ],
      {cwd: ws},
    )
    assert.deepEqual(r.json.params, ['model.latent_dim', 'training.epochs', 'training.lr'])
    assert.deepEqual(r.json.metrics, ['accuracy'])
    assert.equal(r.json.rows[0].subject, '2025-03-03-c')
    const md = await exp(['compare', 'b', 'c', '--md'], {cwd: ws})
    const lines = md.stdout.trim().split('\n')
    assert.equal(
      lines[0],
      '| rank | subject | status | model.latent_dim | model.layers | training.lr | final_nrmse | accuracy |',
    )
    assert.equal(lines[1], '| --- | --- | --- | --- | --- | --- | --- | --- |')
    assert.equal(lines[2], '| 1 | 2025-03-02-b | success | 16 | [16,16] | 0.01 | 0.05 |  |')
    assert.equal(lines.length, 4)
    const table = await exp(['compare', ...names], {cwd: ws})
    assert.match(table.stdout, /^RANK\s+SUBJECT\s+STATUS\s+MODEL\.DROPOUT\s+MODEL\.LATENT_DIM/m)
    assert.match(table.stdout, /^1\s+2025-03-04-d\s+success\s+0\.1\s+64\s+\[16,16\]/m)
    assert.match(table.stdout, /Best first by final_nrmse \(lower is better\)\./)
  })
})

import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {
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

const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const read = (ws: string, rel: string) => fs.readFile(path.join(ws, rel), 'utf8')
const readJson = async (ws: string, rel: string) => JSON.parse(await read(ws, rel))
const CONFIG = '# my comment\nmodel:\n  latent_dim: 64\ntraining:\n  learning_rate: 0.01\n'

/** A successful experiment made by hand: config, a report with the metric, optional extra files. */
async function good(
  ws: string,
  name: string,
  value: unknown = 0.05,
  extra: Record<string, string | object> = {},
  config = CONFIG,
): Promise<string> {
  return makeExperiment(ws, name, {
    'config.yaml': config,
    'reports/eval.json': {final_loss: 0.5, final_nrmse: value, gates_passed: true},
    ...extra,
  })
}

function oneLineError(r: {stderr: string}, pattern: RegExp): void {
  assert.match(r.stderr, /^Error: /)
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`)
  assert.match(r.stderr, pattern)
}

describe('exp promote NAME', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await tempWorkspace()
  })
  afterEach(() => removeDir(ws))

  it('promotes experiments/2025-01-22-test-64dim to configs/train_test-64dim.yaml with provenance, metadata and a leaderboard row', async () => {
    await good(ws, '2025-01-22-test-64dim', 0.05, {
      'metadata.json': {created_at: '2025-01-22T09:00:00Z', hypothesis: 'wider is better', schema: 1},
    })
    const r = await expJson(['promote', 'test-64dim', '--nrmse-threshold', '0.1', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const [p] = r.json.promotions
    assert.equal(p.action, 'create')
    assert.equal(p.written, true)
    assert.equal(p.target, 'configs/train_test-64dim.yaml')
    assert.equal(p.gate, 'final_nrmse 0.05 ≤ threshold 0.1')

    const text = await read(ws, 'configs/train_test-64dim.yaml')
    const [header, body] = text.split('# end of provenance\n')
    assert.equal(body, CONFIG, 'otherwise the experiment config, byte for byte')
    assert.match(header, /^# Promoted by exp: provenance/)
    assert.match(header, /^# experiment: 2025-01-22-test-64dim$/m)
    assert.match(header, /^# promoted_at: \d{4}-\d\d-\d\dT/m)
    assert.match(header, /^# final_nrmse: 0\.05 \(threshold <= 0\.1; lower is better\)$/m)
    assert.match(header, new RegExp(`^# config_sha256: ${sha(CONFIG)}$`, 'm'))

    const meta = await readJson(ws, 'experiments/2025-01-22-test-64dim/metadata.json')
    assert.equal(meta.hypothesis, 'wider is better', 'other keys are kept')
    assert.equal(meta.created_at, '2025-01-22T09:00:00Z')
    assert.equal(meta.promotions.length, 1)
    const entry = meta.promotions[0]
    assert.equal(entry.target, 'configs/train_test-64dim.yaml')
    assert.equal(entry.metric, 'final_nrmse')
    assert.equal(entry.value, 0.05)
    assert.equal(entry.threshold, 0.1)
    assert.equal(entry.config_sha256, sha(CONFIG))
    assert.ok(!Number.isNaN(Date.parse(entry.promoted_at)))

    const csv = await read(ws, 'reports/leaderboard.csv')
    assert.equal(csv.split('\n')[0], 'rank,experiment,config,final_nrmse,gates_passed,promoted_at,final_loss')
    assert.match(
      csv.split('\n')[1],
      /^1,2025-01-22-test-64dim,configs\/train_test-64dim\.yaml,0\.05,true,\d{4}-.*,0\.5$/,
    )
    // exp show reports the promotion
    assert.equal((await expJson(['show', 'test-64dim'], {cwd: ws})).json.promotions.length, 1)
  })

  it('prints what it did in text mode', async () => {
    await good(ws, '2025-01-22-test-64dim')
    const r = await exp(['promote', 'test-64dim', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /^Promoted 2025-01-22-test-64dim → configs\/train_test-64dim\.yaml \(final_nrmse 0\.05 \(no threshold\), from experiments\/2025-01-22-test-64dim\/config\.yaml\)$/m,
    )
    assert.match(r.stdout, /^Leaderboard: reports\/leaderboard\.csv$/m)
  })

  // every validation failure: one line, exit code ≠ 0, nothing written
  const failures: Array<{
    what: string
    setup: (ws: string) => Promise<unknown>
    args: string[]
    code: number
    error: RegExp
  }> = [
    {
      args: ['nope'],
      code: 1,
      error: /no experiment named "nope"/,
      setup: async () => {},
      what: 'an unknown experiment',
    },
    {
      args: ['x'],
      code: 1,
      error: /x cannot be promoted: it has no config\.yaml/,
      setup: async (w) => {
        const dir = await good(w, '2025-01-22-x')
        await fs.rm(path.join(dir, 'config.yaml'))
      },
      what: 'no config.yaml',
    },
    {
      args: ['x'],
      code: 1,
      error: /cannot be promoted: no report with a verdict/,
      setup: (w) => makeExperiment(w, '2025-01-22-x'),
      what: 'no report',
    },
    {
      args: ['x'],
      code: 1,
      error: /reports\/eval\.json has no gates_passed/,
      setup: (w) => makeExperiment(w, '2025-01-22-x', {'reports/eval.json': {final_nrmse: 0.05}}),
      what: 'a report without gates_passed',
    },
    {
      args: ['x'],
      code: 1,
      error: /reports\/eval\.json: gates_passed is false, not true/,
      setup: (w) => makeExperiment(w, '2025-01-22-x', {'reports/eval.json': {final_nrmse: 0.05, gates_passed: false}}),
      what: 'gates_passed false',
    },
    {
      args: ['x'],
      code: 1,
      error: /reports\/eval\.json has no final_nrmse/,
      setup: (w) => makeExperiment(w, '2025-01-22-x', {'reports/eval.json': {gates_passed: true}}),
      what: 'a report without the metric',
    },
    {
      args: ['x', '--nrmse-threshold', '0.1'],
      code: 1,
      error: /final_nrmse is "NaN" \(a string\), not a finite number \(threshold ≤ 0\.1\)/,
      setup: (w) => good(w, '2025-01-22-x', 'NaN'),
      what: 'a NaN metric',
    },
    {
      args: ['x'],
      code: 1,
      error: /final_nrmse is "0\.05" \(a string\), not a finite number/,
      setup: (w) => good(w, '2025-01-22-x', '0.05'),
      what: 'a string metric',
    },
    {
      args: ['x'],
      code: 1,
      error: /final_nrmse is null, not a finite number/,
      setup: (w) => good(w, '2025-01-22-x', null),
      what: 'a null metric',
    },
    {
      args: ['x', '--nrmse-threshold', '0.1'],
      code: 1,
      error: /x cannot be promoted: final_nrmse 0\.2 > threshold 0\.1/,
      setup: (w) => good(w, '2025-01-22-x', 0.2),
      what: 'a metric above --nrmse-threshold',
    },
    {
      args: ['x', '--threshold', '0.15'],
      code: 1,
      error: /final_nrmse 0\.2 > threshold 0\.15/,
      setup: (w) => good(w, '2025-01-22-x', 0.2),
      what: 'a metric above --threshold',
    },
    {
      args: ['x'],
      code: 1,
      error: /final_nrmse 0\.2 > threshold 0\.1/,
      setup: async (w) => {
        await good(w, '2025-01-22-x', 0.2)
        const text = await fs.readFile(path.join(w, 'exp.yaml'), 'utf8')
        await fs.writeFile(
          path.join(w, 'exp.yaml'),
          text.replace(
            'leaderboard: reports/leaderboard.csv',
            'leaderboard: reports/leaderboard.csv\n  threshold: 0.1',
          ),
        )
      },
      what: 'a metric above promote.threshold in exp.yaml',
    },
    {
      args: ['x'],
      code: 1,
      error:
        /x cannot be promoted: it is classified failed \(notes\.md line 3: Status: ✗ unstable\); only experiments classified success are promoted/,
      setup: (w) => good(w, '2025-01-22-x', 0.05, {'notes.md': '# x\n\nStatus: ✗ unstable\n'}),
      what: "a person's ✗ in notes.md",
    },
    {
      args: ['x'],
      code: 1,
      error: /classified failed \(metadata\.json status is "failed"\)/,
      setup: (w) => good(w, '2025-01-22-x', 0.05, {'metadata.json': {status: 'failed'}}),
      what: 'metadata.json status failed',
    },
    {
      args: ['x'],
      code: 1,
      error: /reports\/eval\.json lists errors: \["NaN loss at step 12"\]/,
      setup: (w) =>
        makeExperiment(w, '2025-01-22-x', {
          'reports/eval.json': {errors: ['NaN loss at step 12'], final_nrmse: 0.05, gates_passed: true},
        }),
      what: 'a report listing errors',
    },
    {
      args: ['x'],
      code: 1,
      error: /invalid YAML in experiments\/2025-01-22-x\/config\.yaml \(line \d+\)/,
      setup: (w) => good(w, '2025-01-22-x', 0.05, {}, 'model: [1, 2\n'),
      what: 'a config that is not valid YAML',
    },
    {
      args: ['x'],
      code: 1,
      error: /metadata\.json: not valid JSON .*fix it first/,
      setup: (w) => good(w, '2025-01-22-x', 0.05, {'metadata.json': '{"schema": 1,'}),
      what: 'a metadata.json that is not valid JSON',
    },
    {
      args: ['x'],
      code: 2,
      error: /needs a confirmation and there is no terminal to ask on\. Try: exp promote 2025-01-22-x --yes/,
      setup: (w) => good(w, '2025-01-22-x'),
      what: 'no terminal and no --auto-promote',
    },
    {
      args: ['x', '--config-name', '../escape.yaml'],
      code: 2,
      error: /invalid --config-name "\.\.\/escape\.yaml": it must be a file name/,
      setup: (w) => good(w, '2025-01-22-x'),
      what: 'a --config-name that is a path',
    },
    {
      args: ['--config-name', 'a.yaml'],
      code: 2,
      error: /--config-name needs an experiment NAME/,
      setup: (w) => good(w, '2025-01-22-x'),
      what: '--config-name without NAME',
    },
    {
      args: ['x', 'extra'],
      code: 2,
      error: /Unexpected argument: extra/,
      setup: (w) => good(w, '2025-01-22-x'),
      what: 'an extra argument',
    },
  ]
  for (const f of failures) {
    it(`refuses ${f.what}: one line, exit ${f.code}, nothing written`, async () => {
      await f.setup(ws)
      const before = await treeSnapshot(ws)
      const r = await exp(
        [
          'promote',
          ...f.args,
          ...(f.args.includes('--auto-promote') || f.what.includes('terminal') ? [] : ['--auto-promote']),
        ],
        {cwd: ws},
      )
      assert.equal(r.code, f.code, r.stderr)
      if (f.code === 1) oneLineError(r, f.error)
      else assert.match(r.stderr, f.error)
      assert.deepEqual(await treeSnapshot(ws), before)
    })
  }

  it('refuses bad threshold flags at parse time (exit 2): both spellings, NaN, not a number', async () => {
    await good(ws, '2025-01-22-x')
    const before = await treeSnapshot(ws)
    for (const args of [
      ['--threshold', '0.1', '--nrmse-threshold', '0.1'],
      ['--nrmse-threshold', 'NaN'],
      ['--threshold', 'abc'],
      ['--threshold', 'Infinity'],
      ['--direction', 'sideways'],
    ]) {
      const r = await exp(['promote', 'x', '--auto-promote', ...args], {cwd: ws})
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    }
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('--json errors are a JSON document with the code', async () => {
    await good(ws, '2025-01-22-x', 0.3)
    const r = await expJson(['promote', 'x', '--threshold', '0.1', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'GATE_FAILED')
    assert.match(r.json.error.message, /final_nrmse 0\.3 > threshold 0\.1/)
  })

  it('--config-name names the production file; --production-dir is the folder (and keeps its own .history)', async () => {
    await good(ws, '2025-01-22-test-64dim')
    let r = await expJson(['promote', 'test-64dim', '--config-name', 'train_burgers_prod', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.promotions[0].target, 'configs/train_burgers_prod.yaml', '.yaml is added')
    assert.ok(existsSync(path.join(ws, 'configs/train_burgers_prod.yaml')))
    assert.ok(!existsSync(path.join(ws, 'configs/train_test-64dim.yaml')))

    await fs.mkdir(path.join(ws, 'prod'))
    await writeTree(ws, {'prod/train_test-64dim.yaml': 'old: true\n'})
    // relative to where the command runs
    r = await expJson(['promote', 'test-64dim', '--production-dir', '../prod', '--force', '--auto-promote'], {
      cwd: path.join(ws, 'experiments'),
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.promotions[0].target, 'prod/train_test-64dim.yaml')
    assert.match(r.json.promotions[0].history, /^prod\/\.history\/train_test-64dim\.\d{8}T\d{6}Z\.yaml$/)
    assert.equal(await read(ws, r.json.promotions[0].history), 'old: true\n')
    const meta = await readJson(ws, 'experiments/2025-01-22-test-64dim/metadata.json')
    assert.deepEqual(
      meta.promotions.map((p: any) => p.target),
      ['configs/train_burgers_prod.yaml', 'prod/train_test-64dim.yaml'],
    )
    // promote.production_dir in exp.yaml
    const yaml = await read(ws, 'exp.yaml')
    await fs.writeFile(
      path.join(ws, 'exp.yaml'),
      yaml.replace(
        'leaderboard: reports/leaderboard.csv',
        'leaderboard: reports/leaderboard.csv\n  production_dir: deploy',
      ),
    )
    await good(ws, '2025-02-01-other', 0.04)
    r = await expJson(['promote', 'other', '--auto-promote'], {cwd: ws})
    assert.equal(r.json.promotions[0].target, 'deploy/train_other.yaml')
  })

  it('identical content is a no-op that says so (exp’s own file, or one written by hand)', async () => {
    await good(ws, '2025-01-22-x')
    assert.equal((await exp(['promote', 'x', '--auto-promote'], {cwd: ws})).code, 0)
    let before = await treeSnapshot(ws)
    let r = await exp(['promote', 'x', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /configs\/train_x\.yaml already holds the config of 2025-01-22-x \(identical content\); nothing to do\./,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
    // a hand-made production file with the same content, no confirmation needed for a no-op
    await good(ws, '2025-01-23-y')
    await writeTree(ws, {'configs/train_y.yaml': CONFIG})
    before = await treeSnapshot(ws)
    r = await exp(['promote', 'y'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /identical content/)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('refuses to overwrite different content; --force keeps the old version in configs/.history; --rollback puts it back', async () => {
    await good(ws, '2025-01-22-x')
    await writeTree(ws, {'configs/train_x.yaml': 'hand: written\n'})
    const before = await treeSnapshot(ws)
    const refused = await exp(['promote', 'x', '--auto-promote'], {cwd: ws})
    assert.equal(refused.code, 1)
    oneLineError(
      refused,
      /configs\/train_x\.yaml exists with different content; 2025-01-22-x replaces it only with --force \(the current version is then kept in configs\/\.history\/\)/,
    )
    assert.deepEqual(await treeSnapshot(ws), before)

    const forced = await expJson(['promote', 'x', '--auto-promote', '--force'], {cwd: ws})
    assert.equal(forced.code, 0, forced.stderr)
    const kept = forced.json.promotions[0].history
    assert.match(kept, /^configs\/\.history\/train_x\.\d{8}T\d{6}Z\.yaml$/)
    assert.equal(await read(ws, kept), 'hand: written\n')
    assert.ok((await read(ws, 'configs/train_x.yaml')).endsWith(CONFIG))
    assert.equal((await readJson(ws, 'experiments/2025-01-22-x/metadata.json')).promotions[0].replaced, kept)

    const back = await expJson(['promote', '--rollback', 'train_x.yaml'], {cwd: ws})
    assert.equal(back.code, 0, back.stderr)
    assert.equal(await read(ws, 'configs/train_x.yaml'), 'hand: written\n')
    assert.equal(back.json.experiment, '2025-01-22-x')
    assert.equal(back.json.metadata_marked, true)
    assert.match(back.json.kept_current_as, /^configs\/\.history\/train_x\.\d{8}T\d{6}Z(-\d+)?\.rolled-back\.yaml$/)
    assert.ok((await read(ws, back.json.kept_current_as)).endsWith(CONFIG), 'the rolled-back version is kept too')
    assert.ok(!existsSync(path.join(ws, kept)), 'the restored version left the history')
    const meta = await readJson(ws, 'experiments/2025-01-22-x/metadata.json')
    assert.ok(!Number.isNaN(Date.parse(meta.promotions[0].rolled_back_at)))

    // nothing older to go back to
    const before2 = await treeSnapshot(ws)
    const again = await exp(['promote', '--rollback', 'configs/train_x.yaml'], {cwd: ws})
    assert.equal(again.code, 1)
    oneLineError(again, /no previous version of configs\/train_x\.yaml in configs\/\.history\//)
    assert.deepEqual(await treeSnapshot(ws), before2)
  })

  it('rollback steps back one version at a time, and --dry-run only says what it would restore', async () => {
    await good(ws, '2025-01-22-v2', 0.05, {}, 'v: 2\n')
    await good(ws, '2025-01-23-v3', 0.04, {}, 'v: 3\n')
    await writeTree(ws, {'configs/prod.yaml': 'v: 1\n'})
    for (const name of ['v2', 'v3'])
      assert.equal(
        (await exp(['promote', name, '--config-name', 'prod.yaml', '--force', '--auto-promote'], {cwd: ws})).code,
        0,
      )
    assert.ok((await read(ws, 'configs/prod.yaml')).endsWith('v: 3\n'))

    const before = await treeSnapshot(ws)
    const dry = await exp(['promote', '--rollback', 'prod.yaml', '--dry-run'], {cwd: ws})
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(
      dry.stdout,
      /^Would restore configs\/prod\.yaml from configs\/\.history\/prod\.\d{8}T\d{6}Z(-\d+)?\.yaml/,
    )
    assert.deepEqual(await treeSnapshot(ws), before)

    assert.equal((await exp(['promote', '--rollback', 'prod.yaml'], {cwd: ws})).code, 0)
    assert.ok((await read(ws, 'configs/prod.yaml')).endsWith('v: 2\n'))
    assert.equal((await exp(['promote', '--rollback', 'prod.yaml'], {cwd: ws})).code, 0)
    assert.equal(await read(ws, 'configs/prod.yaml'), 'v: 1\n')
    assert.equal((await exp(['promote', '--rollback', 'prod.yaml'], {cwd: ws})).code, 1)
    const history = (await fs.readdir(path.join(ws, 'configs/.history'))).sort()
    assert.equal(history.length, 2)
    assert.ok(
      history.every((n) => n.endsWith('.rolled-back.yaml')),
      history.join(' '),
    )
    const r = await exp(['promote', 'v2', '--rollback', 'prod.yaml'], {cwd: ws})
    assert.equal(r.code, 2)
  })

  it('--dry-run prints the plan with metrics and from where to where, and writes nothing', async () => {
    await good(ws, '2025-01-22-x')
    await good(ws, '2025-01-23-y', 0.02)
    await writeTree(ws, {'configs/train_y.yaml': 'other: 1\n'})
    const before = await treeSnapshot(ws)
    const r = await exp(['promote', 'x', '--dry-run', '--threshold', '0.1'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout.trim(),
      'Would promote 2025-01-22-x → configs/train_x.yaml (final_nrmse 0.05 ≤ threshold 0.1, from experiments/2025-01-22-x/config.yaml)',
    )
    const j = await expJson(['promote', 'y', '--dry-run', '--force'], {cwd: ws})
    assert.equal(j.json.dry_run, true)
    assert.equal(j.json.promotions[0].action, 'replace')
    assert.equal(j.json.promotions[0].written, false)
    // without NAME: what --auto-promote would do; y would be refused, so the exit code says 1 as the real run would
    const all = await expJson(['promote', '--dry-run'], {cwd: ws})
    assert.equal(all.code, 1)
    assert.deepEqual(
      all.json.promotions.map((p: any) => [p.experiment, p.action]),
      [
        ['2025-01-23-y', 'refused'],
        ['2025-01-22-x', 'create'],
      ],
    )
    // the dry run of a gate failure fails like the real thing
    assert.equal((await exp(['promote', 'x', '--dry-run', '--threshold', '0.01'], {cwd: ws})).code, 1)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('direction max (exp.yaml) gates with ≥ and ranks the highest first', async () => {
    const yaml = await read(ws, 'exp.yaml')
    await fs.writeFile(
      path.join(ws, 'exp.yaml'),
      yaml
        .replace('metric: final_nrmse', 'metric: accuracy\n  threshold: 0.9')
        .replace('direction: min', 'direction: max'),
    )
    await makeExperiment(ws, '2025-01-01-a', {'reports/r.json': {accuracy: 0.93, gates_passed: true}})
    await makeExperiment(ws, '2025-01-02-b', {
      'config.yaml': 'b: 1\n',
      'reports/r.json': {accuracy: 0.97, gates_passed: true},
    })
    await makeExperiment(ws, '2025-01-03-c', {
      'config.yaml': 'c: 1\n',
      'reports/r.json': {accuracy: 0.85, gates_passed: true},
    })
    const low = await exp(['promote', 'c', '--auto-promote'], {cwd: ws})
    assert.equal(low.code, 1)
    oneLineError(low, /accuracy 0\.85 < threshold 0\.9/)
    for (const n of ['a', 'b']) assert.equal((await exp(['promote', n, '--auto-promote'], {cwd: ws})).code, 0)
    const lb = await expJson(['leaderboard'], {cwd: ws})
    assert.equal(lb.json.metric, 'accuracy')
    assert.deepEqual(
      lb.json.rows.map((r: any) => [r.rank, r.experiment, r.accuracy]),
      [
        [1, '2025-01-02-b', 0.97],
        [2, '2025-01-01-a', 0.93],
      ],
    )
    // --direction on the command line wins over exp.yaml
    const flipped = await exp(['promote', 'c', '--direction', 'min', '--dry-run'], {cwd: ws})
    assert.equal(flipped.code, 0, flipped.stderr)
    assert.match(flipped.stdout, /accuracy 0\.85 ≤ threshold 0\.9/)
  })

  it('the leaderboard is upserted (promote twice: one row), sorted best first, with the report’s other numeric metrics', async () => {
    await good(ws, '2025-01-01-a', 0.08)
    await makeExperiment(ws, '2025-01-02-b', {
      'config.yaml': 'b: 1\n',
      'reports/r.json': {final_nrmse: 0.03, gates_passed: true, metrics: {spectral_error: 0.7}, wall_time_s: 61},
    })
    await good(ws, '2025-01-03-c', 0.05, {}, 'c: 1\n')
    for (const n of ['a', 'b', 'c']) assert.equal((await exp(['promote', n, '--auto-promote'], {cwd: ws})).code, 0)
    // a better report and a changed config for a: promote again (forced), still one row for a
    await writeTree(path.join(ws, 'experiments/2025-01-01-a'), {
      'config.yaml': 'a: 2\n',
      'reports/eval.json': {created_at: '2099-01-01T00:00:00Z', final_nrmse: 0.01, gates_passed: true},
    })
    const r = await exp(['promote', 'a', '--auto-promote', '--force'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const {parse} = await import('csv-parse/sync')
    const rows = parse(await read(ws, 'reports/leaderboard.csv'), {columns: true}) as Array<Record<string, string>>
    assert.deepEqual(Object.keys(rows[0]), [
      'rank',
      'experiment',
      'config',
      'final_nrmse',
      'gates_passed',
      'promoted_at',
      'final_loss',
      'spectral_error',
      'wall_time_s',
    ])
    assert.deepEqual(
      rows.map((row) => [row.rank, row.experiment, row.final_nrmse]),
      [
        ['1', '2025-01-01-a', '0.01'],
        ['2', '2025-01-02-b', '0.03'],
        ['3', '2025-01-03-c', '0.05'],
      ],
    )
    assert.equal(rows[1].spectral_error, '0.7')
    assert.equal(rows[1].config, 'configs/train_b.yaml')
    assert.ok(rows.every((row) => row.gates_passed === 'true' && !Number.isNaN(Date.parse(row.promoted_at))))
    assert.equal((await readJson(ws, 'experiments/2025-01-01-a/metadata.json')).promotions.length, 2)
  })

  it('--no-update-leaderboard leaves it alone; --leaderboard-csv writes (and leaderboard reads) another file', async () => {
    await good(ws, '2025-01-01-a')
    await good(ws, '2025-01-02-b', 0.07, {}, 'b: 1\n')
    assert.equal((await exp(['promote', 'a', '--auto-promote', '--no-update-leaderboard'], {cwd: ws})).code, 0)
    assert.ok(!existsSync(path.join(ws, 'reports/leaderboard.csv')))
    assert.equal(
      (await exp(['promote', 'b', '--auto-promote', '--leaderboard-csv', 'reports/other.csv'], {cwd: ws})).code,
      0,
    )
    assert.ok(!existsSync(path.join(ws, 'reports/leaderboard.csv')))
    const lb = await expJson(['leaderboard', '--leaderboard-csv', 'reports/other.csv'], {cwd: ws})
    assert.deepEqual(
      lb.json.rows.map((r: any) => r.experiment),
      ['2025-01-02-b'],
    )
  })

  it('promotes an archived experiment by NAME, and a metadata.json warning that loses nothing does not block', async () => {
    await writeTree(path.join(ws, 'experiments-archive/2024-12-01-old'), {
      'config.yaml': 'old: 1\n',
      'metadata.json': {archived_at: '2025-01-01T00:00:00Z', status: 42},
      'reports/eval.json': {final_nrmse: 0.04, gates_passed: true},
    })
    const r = await expJson(['promote', 'old', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.promotions[0].target, 'configs/train_old.yaml')
    const meta = await readJson(ws, 'experiments-archive/2024-12-01-old/metadata.json')
    assert.equal(meta.archived_at, '2025-01-01T00:00:00Z')
    assert.equal(meta.status, 42)
    assert.equal(meta.promotions.length, 1)
  })

  it('refuses a broken leaderboard before writing anything', async () => {
    await good(ws, '2025-01-01-a')
    await writeTree(ws, {'reports/leaderboard.csv': 'rank,experiment\n1,"open\n'})
    const before = await treeSnapshot(ws)
    const r = await exp(['promote', 'a', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 1)
    oneLineError(r, /reports\/leaderboard\.csv is not valid CSV/)
    assert.deepEqual(await treeSnapshot(ws), before)
  })
})

describe('exp promote without NAME (candidates)', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await tempWorkspace()
    await good(ws, '2025-01-01-ok-b', 0.06, {}, 'b: 1\n')
    await good(ws, '2025-01-02-ok-a', 0.02, {}, 'a: 1\n')
    await good(ws, '2025-01-03-ok-c', 0.09, {}, 'c: 1\n')
    await good(ws, '2025-01-04-too-high', 0.5, {}, 'h: 1\n')
    await makeExperiment(ws, '2025-01-05-failed', {'reports/eval.json': {final_nrmse: 0.01, gates_passed: false}})
    await good(ws, '2025-01-06-vetoed', 0.01, {'notes.md': 'Result: ✗ leaks the test set\n'})
    await good(ws, '2025-01-07-done', 0.01, {'metadata.json': {promotions: [{target: 'configs/train_done.yaml'}]}})
  })
  afterEach(() => removeDir(ws))

  it('without a terminal lists the candidates best first and exits 2 without --auto-promote, writing nothing', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['promote', '--threshold', '0.1'], {cwd: ws})
    assert.equal(r.code, 2)
    const names = r.stdout
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[1])
    assert.deepEqual(names, ['2025-01-02-ok-a', '2025-01-01-ok-b', '2025-01-03-ok-c'])
    assert.match(r.stdout, /^#\s+EXPERIMENT\s+FINAL_NRMSE\s+TARGET\s+TARGET STATE$/m)
    oneLineError(r, /3 candidate\(s\) and no terminal to pick them on; nothing was promoted\. Try: exp promote --yes/)
    assert.deepEqual(await treeSnapshot(ws), before)
    // --dry-run --json gives the same list, and why the others are not candidates
    const j = await expJson(['promote', '--threshold', '0.1', '--dry-run'], {cwd: ws})
    assert.equal(j.code, 0)
    assert.deepEqual(
      j.json.candidates.map((c: any) => c.experiment),
      names,
    )
    const excluded = Object.fromEntries(j.json.excluded.map((e: any) => [e.experiment, e.reason]))
    assert.match(excluded['2025-01-04-too-high'], /final_nrmse 0\.5 > threshold 0\.1/)
    assert.match(excluded['2025-01-07-done'], /already promoted/)
    assert.ok(
      !('2025-01-05-failed' in excluded) && !('2025-01-06-vetoed' in excluded),
      'only successful experiments are considered',
    )
  })

  it('--auto-promote promotes them all; afterwards there are none left', async () => {
    const r = await expJson(['promote', '--threshold', '0.1', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(
      r.json.promotions.map((p: any) => [p.experiment, p.action]),
      [
        ['2025-01-02-ok-a', 'create'],
        ['2025-01-01-ok-b', 'create'],
        ['2025-01-03-ok-c', 'create'],
      ],
    )
    for (const n of ['a', 'b', 'c']) assert.ok(existsSync(path.join(ws, `configs/train_ok-${n}.yaml`)))
    assert.ok(!existsSync(path.join(ws, 'configs/train_too-high.yaml')))
    const lb = await expJson(['leaderboard'], {cwd: ws})
    assert.deepEqual(
      lb.json.rows.map((x: any) => x.experiment),
      ['2025-01-02-ok-a', '2025-01-01-ok-b', '2025-01-03-ok-c'],
    )
    const again = await exp(['promote', '--threshold', '0.1'], {cwd: ws})
    assert.equal(again.code, 0)
    assert.match(again.stdout, /^No candidates/)
  })

  it('two candidates for the same file: only the better one goes there; a refused one makes the exit code 1', async () => {
    await good(ws, '2025-03-01-ok-a', 0.01, {}, 'a: 2\n') // same production name as 2025-01-02-ok-a, better
    await writeTree(ws, {'configs/train_ok-c.yaml': 'someone: else\n'})
    const r = await expJson(['promote', '--threshold', '0.1', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 1)
    const by = Object.fromEntries(r.json.promotions.map((p: any) => [p.experiment, p]))
    assert.equal(by['2025-03-01-ok-a'].action, 'create')
    assert.equal(by['2025-01-02-ok-a'].action, 'skipped')
    assert.match(
      by['2025-01-02-ok-a'].message,
      /2025-03-01-ok-a \(better final_nrmse\) goes to the same file configs\/train_ok-a\.yaml/,
    )
    assert.equal(by['2025-01-03-ok-c'].action, 'refused')
    assert.equal(by['2025-01-01-ok-b'].action, 'create')
    assert.ok((await read(ws, 'configs/train_ok-a.yaml')).endsWith('a: 2\n'))
    assert.equal(await read(ws, 'configs/train_ok-c.yaml'), 'someone: else\n')
  })
})

describe('exp promote on a terminal (pseudo-terminal)', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  before(async function () {
    const {execa} = await import('execa')
    const probe = await execa('script', ['--version'], {reject: false})
    const {requireTool} = await import('../support/exp.js')
    requireTool(this, probe.exitCode === 0, 'util-linux script (a pseudo-terminal) is not installed')
  })
  beforeEach(async () => {
    ws = await tempWorkspace()
  })
  afterEach(() => removeDir(ws))

  /** Run exp in a real pseudo-terminal; `when(pattern, keys)` types keys once the screen shows the pattern. */
  async function terminal(args: string[]) {
    const {execa} = await import('execa')
    const {EXP_BIN} = await import('../support/exp.js')
    const cmd = [process.execPath, EXP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = execa('script', ['-qfec', cmd, '/dev/null'], {
      cwd: ws,
      env: {COLUMNS: '200', TERM: 'xterm'},
      reject: false,
      timeout: 60_000,
    })
    let screen = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      screen += chunk.toString()
    })
    const when = async (pattern: RegExp, keys: string) => {
      while (!pattern.test(screen)) {
        if (child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${screen}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      screen = ''
      child.stdin!.write(keys)
    }
    return {child, when}
  }

  it('without NAME offers a checkbox, best first, and promotes only what was picked', async () => {
    await good(ws, '2025-01-01-b', 0.06, {}, 'b: 1\n')
    await good(ws, '2025-01-02-a', 0.02, {}, 'a: 1\n')
    await good(ws, '2025-01-03-c', 0.09, {}, 'c: 1\n')
    const {child, when} = await terminal(['promote'])
    // the first line is the best (a); pick the second (b) and the third (c)
    await when(/Promote which experiments\?[\s\S]*2025-01-02-a[\s\S]*2025-01-01-b[\s\S]*2025-01-03-c/, '\u001B[B')
    await when(/❯/, ' ')
    await when(/◉|\(\*\)/, '\u001B[B')
    await when(/❯/, ' ')
    await when(/◉[\s\S]*◉|\(\*\)[\s\S]*\(\*\)/, '\r')
    const result = await child
    assert.equal(result.exitCode, 0, String(result.stdout))
    assert.ok(!existsSync(path.join(ws, 'configs/train_a.yaml')))
    assert.ok(existsSync(path.join(ws, 'configs/train_b.yaml')))
    assert.ok(existsSync(path.join(ws, 'configs/train_c.yaml')))
  })

  it('with NAME asks to confirm: no cancels (exit 2, nothing written), yes promotes', async () => {
    await good(ws, '2025-01-22-test-64dim')
    const before = await treeSnapshot(ws)
    let t = await terminal(['promote', 'test-64dim'])
    await t.when(/Promote 2025-01-22-test-64dim → configs\/train_test-64dim\.yaml[\s\S]*\?[\s\S]*\(y\/N\)/, 'n\r')
    let result = await t.child
    assert.equal(result.exitCode, 2, String(result.stdout))
    assert.match(String(result.stdout), /cancelled; nothing was promoted/)
    assert.deepEqual(await treeSnapshot(ws), before)

    t = await terminal(['promote', 'test-64dim'])
    await t.when(/Promote 2025-01-22-test-64dim → [\s\S]*\(y\/N\)/, 'y\r')
    result = await t.child
    assert.equal(result.exitCode, 0, String(result.stdout))
    assert.ok(existsSync(path.join(ws, 'configs/train_test-64dim.yaml')))
  })
})

describe('concurrent promotions', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  afterEach(() => removeDir(ws))

  it('8 promotions of different experiments at once: 8 leaderboard rows, valid CSV, every metadata.json records its promotion', async () => {
    ws = await tempWorkspace()
    const names = Array.from({length: 8}, (_, i) => `2025-01-${String(i + 10).padStart(2, '0')}-run${i}`)
    for (const [i, n] of names.entries()) await good(ws, n, 0.01 * (8 - i), {}, `seed: ${i}\n`)
    const results = await Promise.all(names.map((n) => exp(['promote', n, '--auto-promote'], {cwd: ws})))
    for (const r of results) assert.equal(r.code, 0, r.stderr)
    const {parse} = await import('csv-parse/sync')
    const rows = parse(await read(ws, 'reports/leaderboard.csv'), {columns: true}) as Array<Record<string, string>>
    assert.equal(rows.length, 8)
    assert.deepEqual(
      rows.map((r) => r.experiment),
      [...names].reverse(),
      'best (lowest) first',
    )
    assert.deepEqual(
      rows.map((r) => r.rank),
      ['1', '2', '3', '4', '5', '6', '7', '8'],
    )
    for (const n of names) {
      const meta = await readJson(ws, `experiments/${n}/metadata.json`)
      assert.equal(meta.promotions.length, 1, n)
      assert.ok(existsSync(path.join(ws, meta.promotions[0].target)))
    }
    const leftovers = (await fs.readdir(path.join(ws, 'reports'))).filter((f) => f.endsWith('.tmp'))
    assert.deepEqual(leftovers, [])
    assert.ok(!existsSync(path.join(ws, '.exp/lock')), 'the lock is released')
  })
})

describe('exp leaderboard', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  afterEach(() => removeDir(ws))

  it('says when there is none yet; shows the table, --top and --json', async () => {
    ws = await tempWorkspace()
    let r = await exp(['leaderboard'], {cwd: ws})
    assert.equal(r.code, 0)
    assert.match(r.stdout, /No leaderboard yet \(reports\/leaderboard\.csv\): exp promote NAME adds the first row\./)
    for (const [i, v] of [0.3, 0.1, 0.2].entries()) {
      await good(ws, `2025-01-0${i + 1}-e${i}`, v, {}, `e: ${i}\n`)
      assert.equal((await exp(['promote', `e${i}`, '--auto-promote'], {cwd: ws})).code, 0)
    }
    r = await exp(['leaderboard'], {cwd: ws})
    assert.match(r.stdout, /^RANK\s+EXPERIMENT\s+CONFIG\s+FINAL_NRMSE\s+GATES_PASSED\s+PROMOTED_AT\s+FINAL_LOSS$/m)
    assert.match(r.stdout, /^1\s+2025-01-02-e1\s+configs\/train_e1\.yaml\s+0\.1\s+true/m)
    const top = await expJson(['leaderboard', '--top', '2'], {cwd: ws})
    assert.equal(top.json.total, 3)
    assert.deepEqual(
      top.json.rows.map((x: any) => [x.rank, x.experiment, x.final_nrmse]),
      [
        [1, '2025-01-02-e1', 0.1],
        [2, '2025-01-03-e2', 0.2],
      ],
    )
    assert.equal((await exp(['leaderboard', '--top', '0'], {cwd: ws})).code, 2)
  })
})

describe('exp promote outside a workspace', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let dir: string
  afterEach(() => removeDir(dir))
  it('says so and suggests exp init', async () => {
    dir = await tempDir()
    for (const args of [['promote', 'x'], ['leaderboard']]) {
      const r = await exp(args, {cwd: dir})
      assert.equal(r.code, 1)
      assert.match(r.stderr, /not inside an exp workspace/)
    }
  })
})

import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

import {exp, expJson, inProcess, removeDir, tempWorkspace, treeSnapshot, writeTree} from '../support/exp.js'

const HEADER =
  '| Run Name | Model | LoRA Rank | Learning Rate | Batch Size | Type | Est. Time |\n|----------|-------|-----------|---------------|------------|------|-----------|'
const row = (model: string, rank: number | string, lr: string, type = 'Fine-tuned') =>
  `| ${model}_rank${rank}_lr${lr} | ${model} | ${rank} | ${lr} | 4 | ${type} | ~10s |`
const RANKS = [8, 16, 32, 64]
const LRS = ['1e-5', '5e-5']
const EIGHT = RANKS.flatMap((r) => LRS.map((lr) => row('Llama-3.2-1B-Instruct', r, lr)))
const CONTROL = '| Llama-3.2-1B-Instruct_base | Llama-3.2-1B-Instruct | - | - | - | Control | N/A |'

function summary(
  rows: string[],
  {
    dataset = '/data/caps/train.json',
    header = HEADER,
    models = ['- Llama-3.2-1B-Instruct: /models/Llama-3.2-1B-Instruct'],
    title = '# Experiment: Cap LoRA Sweep',
  } = {},
): string {
  return [
    title,
    '',
    '## Resources',
    '### Models',
    ...models,
    '### Dataset',
    dataset ? `- Path: ${dataset}` : '- (to be decided)',
    '',
    '## Configuration',
    '- **Epochs**: 3',
    '- **GPUs**: 2',
    '- **System prompt**: Answer in capitals.',
    '- **Validation during training**: yes',
    '',
    '## All Runs',
    header,
    ...rows,
    '',
  ].join('\n')
}

const TEMPLATE =
  '# fine-tuning template\nmodel_checkpoint: null  # set per run\ndataset: null\nlora_rank: 4\nlearning_rate: 1.0e-4\nbatch_size: 1\nepochs: 1\n'

describe('exp new --from-summary / --grid (sweeps)', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string
  const run = (args: string[]) => exp(args, {cwd: ws})
  const sweepDir = (name = 'cap-lora-sweep') => path.join(ws, 'experiments', `2025-10-22-${name}`)
  const dirs = async (dir: string) =>
    (await fs.readdir(dir, {withFileTypes: true}))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()

  let own: string | undefined
  beforeEach(async function () {
    if (this.currentTest?.parent?.title.startsWith('malformed')) return
    ws = own = await tempWorkspace()
    await writeTree(ws, {'configs/setup_finetune_json.yaml': TEMPLATE})
  })
  afterEach(async () => {
    await removeDir(own)
    own = undefined
  })

  it('8 fine-tuned rows and a control → exactly rank8_lr1e-5 … rank64_lr5e-5, configs with values and common settings, the log with every entry', async () => {
    await writeTree(ws, {'experiment_summary.md': summary([...EIGHT, CONTROL])})
    const r = await run(['new', '--from-summary', 'experiment_summary.md', '--date', '2025-10-22'])
    assert.equal(r.code, 0, r.stderr)
    const expected = RANKS.flatMap((rk) => LRS.map((lr) => `rank${rk}_lr${lr}`))
    assert.deepEqual(await dirs(sweepDir()), [...expected].sort())
    assert.match(r.stdout, /with 8 variants \(varying lora_rank, learning_rate\); 1 control rows recorded/)
    for (const v of expected) assert.match(r.stdout, new RegExp(`✓ ${v}`))
    const config = parse(await fs.readFile(path.join(sweepDir(), 'rank32_lr5e-5', 'config.yaml'), 'utf8'))
    assert.deepEqual(config, {
      batch_size: 4,
      dataset: '/data/caps/train.json',
      enable_validation: true,
      epochs: 3,
      learning_rate: 5e-5,
      lora_rank: 32,
      model: 'Llama-3.2-1B-Instruct',
      model_checkpoint: '/models/Llama-3.2-1B-Instruct',
      num_gpus: 2,
      system_prompt: 'Answer in capitals.',
    })
    assert.match(
      await fs.readFile(path.join(sweepDir(), 'rank32_lr5e-5', 'config.yaml'), 'utf8'),
      /# set per run/,
      'comments kept',
    )
    const record = parse(await fs.readFile(path.join(sweepDir(), 'sweep.yaml'), 'utf8'))
    assert.deepEqual(
      record.variants.map((v: {name: string}) => v.name),
      expected,
    )
    assert.deepEqual(
      record.controls.map((c: {run_name: string}) => c.run_name),
      ['Llama-3.2-1B-Instruct_base'],
    )
    assert.equal(
      await fs.readFile(path.join(sweepDir(), 'experiment_summary.md'), 'utf8'),
      summary([...EIGHT, CONTROL]),
    )
    const log = await fs.readFile(path.join(sweepDir(), 'scaffold-runs.log'), 'utf8')
    for (const action of ['DISCOVER', 'ANALYZE_PARAMETERS', 'CREATE_DIRECTORY', 'GENERATE_FILE', 'SUMMARY'])
      assert.match(log, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\] ${action}: `, 'm'))
    assert.match(log, /Result: Varying parameters: lora_rank \(8, 16, 32, 64\), learning_rate \(1e-5, 5e-5\)/)
    assert.equal(log.match(/CREATE_DIRECTORY/g)?.length, 8)
    assert.match(r.stderr, /Warning: \/models\/Llama-3.2-1B-Instruct does not exist here/)
  })

  it('a table varying only rank gives rank8 …; model and rank gives Llama-3.2-1B_rank8 …', async () => {
    await writeTree(ws, {
      'a.md': summary(
        RANKS.map((rk) => row('Llama-3.2-1B-Instruct', rk, '1e-5')),
        {title: '# rank-only'},
      ),
    })
    assert.equal((await run(['new', '--from-summary', 'a.md', '--date', '2025-10-22'])).code, 0)
    assert.deepEqual(await dirs(sweepDir('rank-only')), ['rank16', 'rank32', 'rank64', 'rank8'])
    const models = [
      '- Llama-3.2-1B-Instruct: /m/Llama-3.2-1B-Instruct',
      '- Qwen2.5-0.5B-Instruct: /m/Qwen2.5-0.5B-Instruct',
    ]
    await writeTree(ws, {
      'b.md': summary(
        [
          row('Llama-3.2-1B-Instruct', 8, '1e-5'),
          row('Llama-3.2-1B-Instruct', 16, '1e-5'),
          row('Qwen2.5-0.5B-Instruct', 8, '1e-5'),
        ],
        {models, title: '# model-rank'},
      ),
    })
    const r = await run(['new', '--from-summary', 'b.md', '--date', '2025-10-22'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await dirs(sweepDir('model-rank')), [
      'Llama-3.2-1B_rank16',
      'Llama-3.2-1B_rank8',
      'Qwen2.5-0.5B_rank8',
    ])
    assert.match(
      await fs.readFile(path.join(sweepDir('model-rank'), 'Qwen2.5-0.5B_rank8', 'config.yaml'), 'utf8'),
      /model_checkpoint: \/m\/Qwen2.5-0.5B-Instruct/,
    )
  })

  it('a grid: the cartesian product, values typed as YAML, names spelled as written', async () => {
    const r = await run([
      'new',
      'lat',
      '--grid',
      'model.latent_dim=8,16',
      '--grid',
      'training.learning_rate=1e-2,5e-2',
      '--set',
      'training.epochs=5',
      '--date',
      '2025-10-22',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await dirs(sweepDir('lat')), [
      'latent-dim16_lr1e-2',
      'latent-dim16_lr5e-2',
      'latent-dim8_lr1e-2',
      'latent-dim8_lr5e-2',
    ])
    const config = parse(await fs.readFile(path.join(sweepDir('lat'), 'latent-dim16_lr5e-2', 'config.yaml'), 'utf8'))
    assert.deepEqual([config.model.latent_dim, config.training.learning_rate, config.training.epochs], [16, 0.05, 5])
  })

  describe('malformed summaries and grids: one line, exit ≠ 0, the workspace unchanged', () => {
    const cases: Array<{what: string; files?: Record<string, string>; args: string[]; error: RegExp}> = [
      {
        args: ['--from-summary', 's.md'],
        error: /no "All Runs" section/,
        files: {'s.md': summary(EIGHT).replace('## All Runs', '## Runs')},
        what: 'no All Runs section',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /the "All Runs" section has no table/,
        files: {'s.md': summary([]).replace(HEADER, 'TBD')},
        what: 'no All Runs table',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /no "Run Name" column/,
        files: {'s.md': summary(EIGHT).replace('| Run Name |', '| Name |')},
        what: 'no Run Name column',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /no "Type" column/,
        files: {'s.md': summary(EIGHT).replace('| Type |', '| Kind |')},
        what: 'no Type column',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /s\.md:\d+: the row has 6 cells, the header has 7/,
        files: {'s.md': summary([...EIGHT.slice(0, 2), '| x | M | 8 | 1e-5 | 4 | Fine-tuned |'])},
        what: 'a ragged row',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /no Fine-tuned rows \(1 Control\)/,
        files: {'s.md': summary([CONTROL])},
        what: 'only controls',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /line \d+ \(.*\) and line \d+ \(.*\) would both be named "Llama-3.2-1B_rank8"/,
        files: {
          's.md': summary(
            [
              row('Llama-3.2-1B-Instruct', 8, '1e-5'),
              row('Llama-3.2-1B-hf', 8, '1e-5'),
              row('Llama-3.2-1B-hf', 16, '1e-5'),
            ],
            {models: ['- Llama-3.2-1B-Instruct: /m/Llama-3.2-1B-Instruct', '- Llama-3.2-1B-hf: /m/Llama-3.2-1B-hf']},
          ),
        },
        what: 'a name clash after abbreviation',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /missing the model path for Llama-3.2-1B-Instruct/,
        files: {'s.md': summary(EIGHT, {models: []})},
        what: 'missing model',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /missing the dataset path/,
        files: {'s.md': summary(EIGHT, {dataset: ''})},
        what: 'missing dataset',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /no config template for \.csv datasets/,
        files: {'s.md': summary(EIGHT, {dataset: '/d/train.csv'})},
        what: 'unknown template extension',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /the template for \.parquet datasets, configs\/setup_finetune_parquet.yaml, does not exist/,
        files: {'s.md': summary(EIGHT, {dataset: '/d/train.parquet'})},
        what: 'a template file missing',
      },
      {
        args: ['--from-summary', 's.md'],
        error: /line 1 must be the title/,
        files: {'s.md': summary(EIGHT, {title: 'Cap sweep'})},
        what: 'no title',
      },
      {args: ['--from-summary', 'nope.md'], error: /nope\.md cannot be read/, what: 'no such summary'},
      {
        args: ['--from-summary', 's.md'],
        error: /engines.setup uses \{local.conda_env\}, but "conda_env" is not set in exp.local.yaml/,
        files: {
          'exp.yaml':
            'engines:\n  train: [python3, t.py]\n  evaluate: [python3, e.py]\n  setup: [python3, setup.py, --env, "{local.conda_env}"]\n',
          's.md': summary(EIGHT),
        },
        what: 'an unknown {local.X}',
      },
      {
        args: ['x', '--grid', 'model.latent_dim=8'],
        error: /--grid model.latent_dim has one value \(8\)/,
        what: 'a grid axis with one value',
      },
      {
        args: ['x', '--grid', 'model.latent_dim.size=8,16'],
        error: /--grid model.latent_dim.size: the base config has no such key \(closest: model.latent_dim\)/,
        what: 'a bad key path',
      },
      {
        args: ['x', '--grid', 'model..latent_dim=8,16'],
        error: /invalid --grid "model..latent_dim=8,16"/,
        what: 'an empty key segment',
      },
      {
        args: ['x', '--grid', 'a=1,2', '--grid', 'a=3,4'],
        error: /--grid a is given twice/,
        what: 'an axis given twice',
      },
      {
        args: ['x', '--grid', 'kind=runs,x'],
        error: /would be named "runs", which is reserved/,
        files: {'exp.yaml': 'sweep:\n  abbreviations: {kind: ""}\n'},
        what: 'a reserved variant name',
      },
    ]
    // one workspace for all cases (each leaves it unchanged); the files a case writes are put back after it
    let shared: string
    let settings: string
    before(async () => {
      shared = await tempWorkspace()
      await writeTree(shared, {'configs/setup_finetune_json.yaml': TEMPLATE})
      settings = await fs.readFile(path.join(shared, 'exp.yaml'), 'utf8')
    })
    after(async () => removeDir(shared))
    for (const c of cases) {
      it(c.what, async () => {
        ws = shared
        await writeTree(ws, c.files ?? {})
        try {
          const before = await treeSnapshot(ws)
          const r = await run(['new', ...c.args, '--date', '2025-10-22'])
          assert.notEqual(r.code, 0)
          assert.match(r.stderr, c.error)
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
          assert.deepEqual(await treeSnapshot(ws), before)
        } finally {
          await fs.writeFile(path.join(shared, 'exp.yaml'), settings)
          await fs.rm(path.join(shared, 's.md'), {force: true})
        }
      })
    }
  })

  it('a setup hook failing for one of four variants: the others are set up, the failure is in the log and the summary, exit 1; exp sweep setup --only re-runs it', async () => {
    const setup =
      'import os, sys\nv = sys.argv[1]\nif v == "rank16" and not os.path.exists("../fixed"): sys.exit(3)\nopen("setup_finetune.yaml", "w").write("env: " + sys.argv[2] + "\\n")\n'
    await writeTree(ws, {
      'a.md': summary(RANKS.map((rk) => row('Llama-3.2-1B-Instruct', rk, '1e-5'))),
      'exp.local.yaml': 'conda_env: lora-env\n',
      'exp.yaml':
        'engines:\n  train: [python3, t.py]\n  evaluate: [python3, e.py]\n  setup: [python3, "{workspace}/setup.py", "{variant}", "{local.conda_env}"]\n',
      'setup.py': setup,
    })
    const r = await run(['new', '--from-summary', 'a.md', '--date', '2025-10-22'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stdout, /✗ rank16 +setup failed \(exit code 3\)/)
    assert.match(r.stdout, /Next: fix the setup, then exp sweep setup cap-lora-sweep --only rank16/)
    assert.match(r.stderr, /setup failed for 1 of 4 variants: rank16 \(exit code 3\)/)
    for (const v of ['rank8', 'rank32', 'rank64'])
      assert.equal(await fs.readFile(path.join(sweepDir(), v, 'setup_finetune.yaml'), 'utf8'), 'env: lora-env\n')
    await assert.rejects(fs.access(path.join(sweepDir(), 'rank16', 'setup_finetune.yaml')))
    const log = await fs.readFile(path.join(sweepDir(), 'scaffold-runs.log'), 'utf8')
    assert.equal(log.match(/RUN_SETUP/g)?.length, 4)
    assert.match(log, /RUN_SETUP: rank16: .*\n.*\nResult: FAILED \(exit code 3\)/)
    assert.match(log, /Result: 1 of 4 setups FAILED: rank16/)
    const record = parse(await fs.readFile(path.join(sweepDir(), 'sweep.yaml'), 'utf8'))
    assert.deepEqual(
      record.variants.map((v: {setup: string}) => v.setup),
      ['ok', 'failed', 'ok', 'ok'],
    )

    await writeTree(ws, {[`experiments/2025-10-22-cap-lora-sweep/fixed`]: ''})
    const again = await run(['sweep', 'setup', 'cap-lora-sweep', '--only', 'rank16'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /✓ rank16 +set up/)
    assert.equal(parse(await fs.readFile(path.join(sweepDir(), 'sweep.yaml'), 'utf8')).variants[1].setup, 'ok')
  })

  it('exp list --variants --json: one row per variant with its parameters; exp show EXP/V', async () => {
    await writeTree(ws, {'experiment_summary.md': summary(EIGHT.slice(0, 4))})
    assert.equal((await run(['new', '--from-summary', 'experiment_summary.md', '--date', '2025-10-22'])).code, 0)
    const v = path.join(sweepDir(), 'rank16_lr5e-5')
    await writeTree(v, {'reports/r1.json': {final_nrmse: 0.031, gates_passed: true}})
    await writeTree(path.join(sweepDir(), 'rank8_lr1e-5'), {'reports/r1.json': {final_nrmse: 0.2, gates_passed: false}})
    const {code, json} = await expJson(['list', '--variants'], {cwd: ws})
    assert.equal(code, 0)
    assert.equal(json.experiments.length, 1)
    assert.equal(json.experiments[0].variants, 4)
    assert.equal(json.experiments[0].status, 'success')
    assert.equal(json.experiments[0].reason, '1/4 variants passed; best rank16_lr5e-5, final_nrmse 0.031')
    assert.deepEqual(
      json.variants.map((x: {name: string; status: string}) => [x.name, x.status]),
      [
        ['2025-10-22-cap-lora-sweep/rank8_lr1e-5', 'failed'],
        ['2025-10-22-cap-lora-sweep/rank8_lr5e-5', 'active'],
        ['2025-10-22-cap-lora-sweep/rank16_lr1e-5', 'active'],
        ['2025-10-22-cap-lora-sweep/rank16_lr5e-5', 'success'],
      ],
    )
    assert.deepEqual(json.variants[3].params, {learning_rate: 5e-5, lora_rank: 16})
    assert.deepEqual(json.variants[3].metric, {name: 'final_nrmse', value: 0.031})
    const show = await expJson(['show', 'cap-lora-sweep/rank16_lr5e-5'], {cwd: ws})
    assert.equal(show.json.status, 'success')
    assert.deepEqual(show.json.params, {learning_rate: 5e-5, lora_rank: 16})
    assert.equal(show.json.config.path, 'experiments/2025-10-22-cap-lora-sweep/rank16_lr5e-5/config.yaml')
    const missing = await run(['show', 'cap-lora-sweep/rank99'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /has no variant "rank99" \(variants: rank8_lr1e-5, /)
  })

  /** a sweep of four variants from the summary, three with a report: one passing best, one better but failing its gate */
  const fourVariantsJudged = async () => {
    await writeTree(ws, {'experiment_summary.md': summary(EIGHT.slice(0, 4))})
    assert.equal((await run(['new', '--from-summary', 'experiment_summary.md', '--date', '2025-10-22'])).code, 0)
    const report = (v: string, nrmse: number, passed = true) =>
      writeTree(path.join(sweepDir(), v), {'reports/r1.json': {final_nrmse: nrmse, gates_passed: passed}})
    await report('rank8_lr1e-5', 0.05)
    await report('rank8_lr5e-5', 0.01, false) // better, but its gate failed
    await report('rank16_lr5e-5', 0.031)
  }

  it('exp promote EXP promotes the best passing variant to configs/train_<slug>_<variant>.yaml, leaderboard row EXP/V with its parameters; EXP/V promotes one', async () => {
    await fourVariantsJudged()
    const r = await run(['promote', 'cap-lora-sweep', '--auto-promote'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /Promoted 2025-10-22-cap-lora-sweep\/rank16_lr5e-5 → configs\/train_cap-lora-sweep_rank16_lr5e-5.yaml/,
    )
    const production = await fs.readFile(path.join(ws, 'configs', 'train_cap-lora-sweep_rank16_lr5e-5.yaml'), 'utf8')
    assert.match(production, /# experiment: 2025-10-22-cap-lora-sweep\/rank16_lr5e-5/)
    assert.match(production, /lora_rank: 16\nlearning_rate: 5e-5/)
    const board = await fs.readFile(path.join(ws, 'reports', 'leaderboard.csv'), 'utf8')
    const [header, first] = board.trim().split('\n')
    assert.deepEqual(header.split(','), [
      'rank',
      'experiment',
      'config',
      'final_nrmse',
      'gates_passed',
      'promoted_at',
      'learning_rate',
      'lora_rank',
    ])
    assert.match(
      first,
      /^1,2025-10-22-cap-lora-sweep\/rank16_lr5e-5,configs\/train_cap-lora-sweep_rank16_lr5e-5.yaml,0.031,true,[^,]+,0.00005,16$/,
    )
    const metadata = JSON.parse(await fs.readFile(path.join(sweepDir(), 'metadata.json'), 'utf8'))
    assert.equal(metadata.promotions[0].target, 'configs/train_cap-lora-sweep_rank16_lr5e-5.yaml')

    const one = await run(['promote', 'cap-lora-sweep/rank8_lr1e-5', '--auto-promote'])
    assert.equal(one.code, 0, one.stderr)
    assert.match(
      await fs.readFile(path.join(ws, 'reports', 'leaderboard.csv'), 'utf8'),
      /\n2,2025-10-22-cap-lora-sweep\/rank8_lr1e-5,configs\/train_cap-lora-sweep_rank8_lr1e-5.yaml,0.05,/,
    )
    const refused = await run(['promote', 'cap-lora-sweep/rank8_lr5e-5', '--auto-promote'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /rank8_lr5e-5 cannot be promoted: .*gates_passed is false/)
  })

  it('exp promote without NAME offers a sweep as its best passing variant, and not again once promoted', async () => {
    await fourVariantsJudged()
    const offered = await expJson(['promote', '--dry-run', '--json'], {cwd: ws})
    assert.deepEqual(
      offered.json.candidates.map((c: {experiment: string}) => c.experiment),
      ['2025-10-22-cap-lora-sweep/rank16_lr5e-5'],
      JSON.stringify(offered.json.excluded),
    )
    const r = await run(['promote', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /Promoted 2025-10-22-cap-lora-sweep\/rank16_lr5e-5 → configs\/train_cap-lora-sweep_rank16_lr5e-5.yaml/,
    )
    assert.match(
      await fs.readFile(path.join(ws, 'configs', 'train_cap-lora-sweep_rank16_lr5e-5.yaml'), 'utf8'),
      /# experiment: 2025-10-22-cap-lora-sweep\/rank16_lr5e-5/,
    )
    const again = await expJson(['promote', '--dry-run', '--json'], {cwd: ws})
    assert.deepEqual(again.json.candidates, [])
    assert.deepEqual(again.json.excluded, [
      {experiment: '2025-10-22-cap-lora-sweep', reason: 'already promoted (metadata.json promotions)'},
    ])
  })

  it('exp compare EXP on a sweep: variants × varying parameters × metrics, best first, the gate verdict per row; --csv, --json, --sort', async () => {
    assert.equal(
      (
        await run([
          'new',
          'lat',
          '--grid',
          'model.latent_dim=4,8',
          '--grid',
          'training.epochs=20,40',
          '--date',
          '2025-10-22',
        ])
      ).code,
      0,
    )
    await writeTree(path.join(sweepDir('lat'), 'latent-dim8_epochs40'), {
      'reports/r.json': {final_nrmse: 0.03, gates_passed: true, max_nrmse: 0.05},
    })
    await writeTree(path.join(sweepDir('lat'), 'latent-dim4_epochs20'), {
      'reports/r.json': {final_nrmse: 0.2, gates_passed: false, max_nrmse: 0.3},
    })
    const csv = await run(['compare', 'lat', '--csv'])
    assert.equal(csv.code, 0, csv.stderr)
    assert.deepEqual(csv.stdout.trim().split('\n'), [
      'rank,subject,status,model.latent_dim,training.epochs,final_nrmse,max_nrmse',
      '1,2025-10-22-lat/latent-dim8_epochs40,success,8,40,0.03,0.05',
      '2,2025-10-22-lat/latent-dim4_epochs20,failed,4,20,0.2,0.3',
      ',2025-10-22-lat/latent-dim4_epochs40,active,4,40,,',
      ',2025-10-22-lat/latent-dim8_epochs20,active,8,20,,',
    ])
    const {json} = await expJson(['compare', 'lat', '--sort', 'max_nrmse', '--direction', 'max'], {cwd: ws})
    assert.deepEqual(json.params, ['model.latent_dim', 'training.epochs'])
    assert.deepEqual(json.rows.map((r: {subject: string; status: string}) => [r.subject, r.status]).slice(0, 2), [
      ['2025-10-22-lat/latent-dim4_epochs20', 'failed'],
      ['2025-10-22-lat/latent-dim8_epochs40', 'success'],
    ])
  })
})

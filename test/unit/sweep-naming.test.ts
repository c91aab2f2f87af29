import assert from 'node:assert/strict'

import {expandGrid, parseGridAxis} from '../../src/sweeps/grid.js'
import {firstTable, splitRow} from '../../src/sweeps/markdown.js'
import {MAX_NAME_LENGTH, shortModelName, variantNames} from '../../src/sweeps/naming.js'
import {parseSummary, snakeCase} from '../../src/sweeps/summary.js'

const rows = (keys: string[], table: string[][]) =>
  table.map((cells, i) => ({label: `row ${i + 1}`, spelling: Object.fromEntries(keys.map((k, j) => [k, cells[j]]))}))
const names = (keys: string[], table: string[][], abbreviations: Record<string, string> = {}) =>
  variantNames(
    keys.map((key) => ({key})),
    rows(keys, table),
    abbreviations,
  )

describe('sweeps: variant naming', () => {
  const cases: Array<{
    what: string
    keys: string[]
    table: string[][]
    expected: string[]
    abbreviations?: Record<string, string>
  }> = [
    {
      expected: ['rank8_lr1e-5', 'rank8_lr5e-5', 'rank16_lr1e-5'],
      keys: ['model', 'lora_rank', 'learning_rate', 'batch_size'],
      table: [
        ['M', '8', '1e-5', '4'],
        ['M', '8', '5e-5', '4'],
        ['M', '16', '1e-5', '4'],
      ],
      what: 'varying rank and lr only, in column order',
    },
    {
      expected: ['rank8', 'rank16'],
      keys: ['lora_rank', 'learning_rate'],
      table: [
        ['8', '1e-5'],
        ['16', '1e-5'],
      ],
      what: 'only rank varies',
    },
    {
      expected: ['Llama-3.2-1B_rank8', 'Qwen2.5-0.5B_rank16'],
      keys: ['model', 'lora_rank'],
      table: [
        ['Llama-3.2-1B-Instruct', '8'],
        ['Qwen/Qwen2.5-0.5B-hf', '16'],
      ],
      what: 'model → short name, no prefix',
    },
    {expected: ['bs4', 'bs8'], keys: ['batch_size'], table: [['4'], ['8']], what: 'batch_size → bs'},
    {
      expected: ['latent-dim8_epochs2', 'latent-dim16_epochs4'],
      keys: ['model.latent_dim', 'training.epochs'],
      table: [
        ['8', '2'],
        ['16', '4'],
      ],
      what: 'other keys: last segment, sanitised',
    },
    {
      abbreviations: {'model.latent_dim': 'd'},
      expected: ['d8', 'd16'],
      keys: ['model.latent_dim'],
      table: [['8'], ['16']],
      what: 'sweep.abbreviations win',
    },
    {expected: ['lr0.1', 'lr0.2'], keys: ['training.lr'], table: [['0.1'], ['0.2']], what: 'lr by last segment'},
    {
      expected: ['opt-adam-w-', 'opt-sgd'],
      abbreviations: {optimizer: 'opt-'},
      keys: ['optimizer'],
      table: [['adam w!'], ['sgd']],
      what: 'characters outside [A-Za-z0-9.-] become -',
    },
  ]
  for (const c of cases) it(c.what, () => assert.deepEqual(names(c.keys, c.table, c.abbreviations), c.expected))

  it('a name longer than 60 characters ends in a short hash of the full name', () => {
    const long = ['x'.repeat(70), 'y'.repeat(70)]
    const out = names(['tag'], [[long[0]], [long[1]]])
    for (const n of out) assert.equal(n.length, MAX_NAME_LENGTH)
    assert.match(out[0], /^tagx+-[0-9a-f]{8}$/)
    assert.notEqual(out[0], out[1])
  })

  it('refuses two rows with the same name, naming both rows', () => {
    assert.throws(
      () =>
        names(
          ['model', 'lora_rank'],
          [
            ['a/Llama-Instruct', '8'],
            ['b/Llama', '8'],
            ['c', '16'],
          ],
        ),
      /row 1 and row 2 would both be named "Llama_rank8"/,
    )
  })

  it('refuses a reserved folder name, naming the row', () => {
    assert.throws(
      () => names(['kind'], [['runs'], ['x']], {kind: ''}),
      /row 1 would be named "runs", which is reserved/,
    )
  })

  it('refuses one variant, and nothing varying', () => {
    assert.throws(() => names(['a'], [['1']]), /at least 2 variants, found 1/)
    assert.throws(() => names(['a'], [['1'], ['1']]), /nothing varies/)
  })

  it('short model names', () => {
    assert.equal(shortModelName('/models/meta/Llama-3.2-1B-Instruct'), 'Llama-3.2-1B')
    assert.equal(shortModelName('Llama-2-7b-hf'), 'Llama-2-7b')
  })
})

describe('sweeps: grid and tables', () => {
  it('expands a grid, first axis slowest; values typed, spelling kept', () => {
    const points = expandGrid([parseGridAxis('training.lr=1e-5,5e-5'), parseGridAxis('model.latent_dim=8,16')])
    assert.deepEqual(
      points.map((p) => p.spelling),
      [
        {'model.latent_dim': '8', 'training.lr': '1e-5'},
        {'model.latent_dim': '16', 'training.lr': '1e-5'},
        {'model.latent_dim': '8', 'training.lr': '5e-5'},
        {'model.latent_dim': '16', 'training.lr': '5e-5'},
      ],
    )
    assert.equal(points[0].values['training.lr'], 1e-5)
    assert.equal(points[0].values['model.latent_dim'], 8)
  })

  it('refuses bad axes', () => {
    assert.throws(() => parseGridAxis('a.b=1'), /one value/)
    assert.throws(() => parseGridAxis('a..b=1,2'), /invalid --grid/)
    assert.throws(() => parseGridAxis('=1,2'), /invalid --grid/)
    assert.throws(() => parseGridAxis('a=1,,2'), /empty value/)
    assert.throws(() => parseGridAxis('a=1,1'), /twice/)
  })

  it('splits table rows (escaped bars kept), finds the first table', () => {
    assert.deepEqual(splitRow('| a | b\\|c |  |'), ['a', 'b|c', ''])
    const t = firstTable([
      {line: 1, text: 'intro'},
      {line: 2, text: '| A | B |'},
      {line: 3, text: '|:--|--:|'},
      {line: 4, text: '| 1 | 2 |'},
      {line: 5, text: ''},
      {line: 6, text: '| x |'},
    ])
    assert.deepEqual(t, {headers: ['A', 'B'], line: 2, rows: [{cells: ['1', '2'], line: 4}]})
    assert.equal(
      firstTable([
        {line: 1, text: '| A |'},
        {line: 2, text: '| x |'},
      ]),
      undefined,
    )
  })

  it('snake_cases headers', () => {
    assert.equal(snakeCase('LoRA Rank'), 'lora_rank')
    assert.equal(snakeCase('Est. Time'), 'est_time')
  })

  it('reads a summary: title, runs, controls, common settings', () => {
    const text = [
      '# Experiment: My Sweep',
      '## Resources',
      '### Models',
      '- `/m/Llama-3.2-1B-Instruct`',
      '### Dataset',
      '- Path: /d/train.parquet',
      '## Configuration',
      '- **Epochs**: 2',
      '- GPUs: 4',
      '- Validation during training: no',
      '## All Runs',
      '| Run Name | Model | LoRA Rank | Type |',
      '|---|---|---|---|',
      '| a | Llama-3.2-1B-Instruct | 8 | Fine-tuned |',
      '| b | Llama-3.2-1B-Instruct | 16 | Fine-tuned |',
      '| c | Llama-3.2-1B-Instruct | - | Control |',
    ].join('\n')
    const plan = parseSummary(text, 'experiment_summary.md')
    assert.equal(plan.slug, 'my-sweep')
    assert.deepEqual(
      plan.runs.map((r) => r.values.lora_rank),
      [8, 16],
    )
    assert.equal(plan.runs[0].values.model_checkpoint, '/m/Llama-3.2-1B-Instruct')
    assert.deepEqual(plan.common, {dataset: '/d/train.parquet', enable_validation: false, epochs: 2, num_gpus: 4})
    assert.equal(plan.controls.length, 1)
  })
})

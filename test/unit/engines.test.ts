import assert from 'node:assert/strict'
import path from 'node:path'

import {
  displayCommand,
  EMBEDDED_TEMPLATES,
  engineTemplates,
  expandArgv,
  placeholdersIn,
  placeholderValues,
  pythonCommand,
} from '../../src/launch/engines.js'
import {formatLaunchLogEntry} from '../../src/launch/launch-log.js'
import {backendOptions} from '../../src/launch/launch.js'
import {EMBEDDED_ENGINE_DIR} from '../../src/lib/package.js'
import {parseSettings, PLACEHOLDERS, settingsSchema, unknownPlaceholders} from '../../src/workspace/settings.js'
import {workspaceAt} from '../../src/workspace/workspace.js'

const ws = (yaml = '') => workspaceAt('/ws', parseSettings(yaml, '/ws/exp.yaml'))

describe('engines: templates and placeholders', () => {
  it('defaults to the embedded engine, with every placeholder the schema knows filled', () => {
    const w = ws()
    assert.deepEqual(engineTemplates(w), EMBEDDED_TEMPLATES)
    const values = placeholderValues({env: {}, experimentDir: '/ws/experiments/2025-01-22-a', runId: 'R1', ws: w})
    assert.deepEqual(Object.keys(values).sort(), [...PLACEHOLDERS].sort())
    assert.deepEqual(expandArgv(engineTemplates(w).train, values), [
      'python3',
      `${EMBEDDED_ENGINE_DIR}/train.py`,
      '--config',
      'config.yaml',
      '--out',
      'checkpoints/R1',
      '--metrics',
      'runs/R1/metrics.jsonl',
    ])
    assert.deepEqual(expandArgv(engineTemplates(w).evaluate, values).slice(4), [
      '--checkpoint',
      'checkpoints/R1',
      '--report',
      'reports/R1.json',
      '--metrics',
      'runs/R1/metrics.jsonl',
    ])
    assert.equal(values.experiment, '2025-01-22-a')
    assert.equal(values.run_dir, 'runs/R1')
    assert.equal(values.workspace, '/ws')
  })

  it('an evaluate-only run reads the checkpoint of the run that trained it', () => {
    const values = placeholderValues({
      checkpointRunId: 'OLD',
      env: {},
      experimentDir: '/ws/experiments/x',
      runId: 'NEW',
      ws: ws(),
    })
    assert.equal(values.checkpoint_dir, 'checkpoints/OLD')
    assert.equal(values.report, 'reports/NEW.json')
  })

  it('EXP_PYTHON names the interpreter', () => {
    assert.equal(pythonCommand({}), 'python3')
    assert.equal(pythonCommand({EXP_PYTHON: '/opt/py/bin/python'}), '/opt/py/bin/python')
  })

  it('uses exp.yaml engines when present', () => {
    const w = ws(
      'engines:\n  train: [python3, "{workspace}/train.py", --out, "{checkpoint_dir}"]\n  evaluate: [python3, eval.py, "{report}"]\n',
    )
    assert.deepEqual(engineTemplates(w).evaluate, ['python3', 'eval.py', '{report}'])
    assert.deepEqual(placeholdersIn(engineTemplates(w).train), new Set(['workspace', 'checkpoint_dir']))
  })

  it('substitutes exactly inside arguments, in one pass, never splitting or re-expanding', () => {
    const out = expandArgv(['--out={run_dir}/ckpt', '{config}', 'a b {run_id}', '{{"lr": 1}}', '{run_id}{run_id}'], {
      config: 'my config.yaml',
      run_dir: 'runs/{run_id}',
      run_id: 'R',
    })
    assert.deepEqual(out, ['--out=runs/{run_id}/ckpt', 'my config.yaml', 'a b R', '{"lr": 1}', 'RR'])
  })

  it('a placeholder without a value is an error naming it', () => {
    assert.throws(() => expandArgv(['{chekpoint}'], {}), /\{chekpoint\}/)
  })

  it('the settings schema rejects an unknown placeholder by name and accepts {{ }} for literal braces', () => {
    assert.deepEqual(unknownPlaceholders('--x={chekpoint_dir}/{report}'), ['chekpoint_dir'])
    assert.deepEqual(unknownPlaceholders('{{"a": {report}}}'), [])
    const bad = settingsSchema.safeParse({engines: {evaluate: ['e'], train: ['python3', '{chekpoint_dir}']}})
    assert.equal(bad.success, false)
    assert.match(JSON.stringify(bad.error?.issues), /unknown placeholder \{chekpoint_dir\}/)
  })

  it('shows commands as a person would type them (display only)', () => {
    assert.equal(displayCommand(['python3', 'a b.py', "it's", '--x=1', '']), `python3 'a b.py' 'it'\\''s' --x=1 ''`)
  })
})

describe('launch.log entries', () => {
  it('use the [YYYY-MM-DD HH:MM:SS] ACTION: / Details: / Result: format, one line each', () => {
    const text = formatLaunchLogEntry(
      {action: 'train', description: 'started\npython3 train.py', details: ['pid 1', 'log x'], result: 'running'},
      new Date(2025, 0, 22, 10, 15, 0),
    )
    assert.equal(
      text,
      '[2025-01-22 10:15:00] TRAIN: started python3 train.py\nDetails: pid 1\nDetails: log x\nResult: running\n\n',
    )
  })
})

describe('backend options', () => {
  it('flags the person set override exp.yaml backends.<name>; sbatch_args accumulate', () => {
    const w = ws('backends:\n  slurm: {partition: cpu, time: "01:00:00", sbatch_args: ["--qos=low"]}\n')
    const o = backendOptions(w, 'slurm', {gpus: 2, partition: 'gpu', sbatch_args: ['--exclusive'], time: undefined})
    assert.equal(o.partition, 'gpu')
    assert.equal(o.time, '01:00:00')
    assert.equal(o.gpus, 2)
    assert.deepEqual(o.sbatch_args, ['--qos=low', '--exclusive'])
    assert.equal(o.poll_interval, 60)
    const v = backendOptions(w, 'vast', {auto_shutdown: false, max_price: 0.5})
    assert.equal(v.auto_shutdown, false)
    assert.equal(v.max_price, 0.5)
    assert.equal(v.image, 'python:3.11-slim')
    assert.deepEqual(backendOptions(w, 'local', {}), {})
  })
})

describe('embedded engine location', () => {
  it('ships train.py and evaluate.py', async () => {
    const {existsSync} = await import('node:fs')
    assert.ok(existsSync(path.join(EMBEDDED_ENGINE_DIR, 'train.py')))
    assert.ok(existsSync(path.join(EMBEDDED_ENGINE_DIR, 'evaluate.py')))
  })
})

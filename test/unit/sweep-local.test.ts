import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {slurmResources} from '../../src/backends/slurm.js'
import {shellQuote} from '../../src/lib/shell-quote.js'
import {renderBatchScript} from '../../src/backends/slurm/script.js'
import {expandLocalSettings, localPlaceholders} from '../../src/workspace/local.js'
import {parseSettings} from '../../src/workspace/settings.js'
import {workspaceAt} from '../../src/workspace/workspace.js'

describe('exp.local.yaml and backends.slurm.setup', () => {
  let root: string
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-local-'))
    await fs.writeFile(path.join(root, 'exp.local.yaml'), 'conda_env: my env; rm -rf /\naccount: lab-42\n')
  })
  after(async () => fs.rm(root, {force: true, recursive: true}))
  const ws = () =>
    workspaceAt(
      root,
      parseSettings(
        'backends:\n  slurm:\n    setup: [module load cuda/12.4, "conda activate {local.conda_env}"]\n    account: "{local.account}"\n',
        'exp.yaml',
      ),
    )

  it('fills {local.NAME} in SLURM settings; setup lines get the value shell-quoted', () => {
    const options = expandLocalSettings(ws(), 'slurm', {...ws().settings.backends.slurm}, shellQuote)
    assert.equal(options.account, 'lab-42')
    assert.deepEqual(options.setup, ['module load cuda/12.4', "conda activate 'my env; rm -rf /'"])
  })

  it('an unknown {local.X} names the key and the file', () => {
    assert.throws(
      () => localPlaceholders(ws(), ['--out', '{local.scratch_dir}/x'], 'exp.yaml engines'),
      /exp.yaml engines uses \{local.scratch_dir\}, but "scratch_dir" is not set in exp.local.yaml/,
    )
  })

  it('the batch script runs the setup lines before the engine, and bash reads it', () => {
    const resources = {...slurmResources({setup: ['module load cuda/12.4', "conda activate 'my env'"]})}
    const script = renderBatchScript({
      argv: ['python3', 'train.py'],
      cwd: '/x',
      experiment: 'e',
      log: '/x/runs/r/train.log',
      resources,
      runDir: '/x/runs/r',
      runId: 'r',
      scriptRel: 'runs/r/train.slurm',
      stage: 'train',
      version: '0',
    })
    assert.ok(script.indexOf("conda activate 'my env'") < script.indexOf("'python3' 'train.py'"))
    assert.ok(script.indexOf('module load cuda/12.4') > script.indexOf("exp_record 'train.started"))
    execFileSync('bash', ['-n'], {input: script})
    assert.throws(
      () =>
        renderBatchScript({
          argv: ['a'],
          cwd: '/x',
          experiment: 'e',
          log: '/l',
          resources: slurmResources({setup: ['a\nb']}),
          runDir: '/r',
          runId: 'r',
          scriptRel: 'r',
          stage: 'train',
          version: '0',
        }),
      /cannot contain line breaks/,
    )
  })
})

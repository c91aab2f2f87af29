import {strict as assert} from 'node:assert'
import {execFileSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {sbatchArgv, slurmResources} from '../../src/backends/slurm.js'
import {renderBatchScript, sbatchOptions, sbatchQuote, slurmOutputPath} from '../../src/backends/slurm/script.js'

/** What sbatch's #SBATCH parser (slurm 22.05 `_get_argument`) makes of a line's arguments, reimplemented to test against. */
function sbatchParse(line: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++
    if (i >= line.length) break
    let arg = ''
    let quote = ''
    let escaped = false
    while (i < line.length && (quote || !/\s/.test(line[i]))) {
      const c = line[i]
      if (escaped) {
        escaped = false
      } else if (c === '\\') {
        escaped = true
        i++
        continue
      } else if (quote) {
        if (c === quote) {
          quote = ''
          i++
          continue
        }
      } else if (c === '"' || c === "'") {
        quote = c
        i++
        continue
      } else if (c === '#') {
        return out
      }
      arg += c
      i++
    }
    out.push(arg)
  }
  return out
}

const input = {
  argv: ['python3', '/opt/exp/engines/burgers/train.py', '--config', 'config.yaml', '--out', 'checkpoints/r1'],
  cwd: "/ws/it's here/experiments/2025-01-22-x",
  experiment: '2025-01-22-x',
  log: "/ws/it's here/experiments/2025-01-22-x/runs/r1/train.log",
  resources: {sbatchArgs: []},
  runDir: "/ws/it's here/experiments/2025-01-22-x/runs/r1",
  runId: 'r1',
  scriptRel: 'runs/r1/train.slurm',
  stage: 'train' as const,
  version: '0.1.0',
}

describe('slurm batch scripts', () => {
  it('quotes #SBATCH values the way sbatch reads them back: quotes, backslashes, spaces, #', () => {
    for (const value of ["it's", 'a b', 'back\\slash', '#not-a-comment', "''", '', '$HOME', "x\\'y"]) {
      assert.deepEqual(sbatchParse(`--comment=${sbatchQuote(value)}`), [`--comment=${value}`], value)
    }
  })

  it('refuses a line break in an #SBATCH value (a usage error)', () => {
    assert.throws(
      () => sbatchQuote('a\nb'),
      (e: any) => e.exit === 2 && /line break/.test(e.message),
    )
  })

  it('escapes % in output paths and refuses a backslash, which SLURM cannot express', () => {
    assert.equal(slurmOutputPath('/ws/100%/train.log'), '/ws/100%%/train.log')
    assert.throws(() => slurmOutputPath('/ws/a\\b/train.log'), /backslash/)
  })

  it('writes job name, output/error in the run folder, and every resource, in order', () => {
    const options = sbatchOptions({
      ...input,
      resources: {
        account: 'proj',
        cpus: 8,
        gpus: 2,
        mem: '16G',
        partition: 'gpu',
        sbatchArgs: ['--qos=high', '--exclusive'],
        time: '02:00:00',
      },
    })
    assert.deepEqual(options, [
      '--job-name=exp-2025-01-22-x-train',
      `--output=${input.log}`,
      `--error=${input.log}`,
      '--partition=gpu',
      '--time=02:00:00',
      '--gpus=2',
      '--cpus-per-task=8',
      '--mem=16G',
      '--account=proj',
      '--qos=high',
      '--exclusive',
    ])
    // gpus 0 means none: no --gpus line
    assert.ok(!sbatchOptions({...input, resources: {gpus: 0, sbatchArgs: []}}).some((o) => o.startsWith('--gpus')))
  })

  it('refuses an extra sbatch argument that is not an option', () => {
    assert.throws(
      () => sbatchOptions({...input, resources: {sbatchArgs: ['high']}}),
      (e: any) => e.exit === 2 && /not an option/.test(e.message),
    )
  })

  it('renders a script whose #SBATCH lines sbatch reads back exactly, before any command', () => {
    const text = renderBatchScript({...input, resources: {partition: "it's", sbatchArgs: ['--qos=a b', '--exclusive']}})
    const lines = text.split('\n')
    assert.equal(lines[0], '#!/bin/bash')
    const directives = lines.filter((l) => l.startsWith('#SBATCH ')).map((l) => sbatchParse(l.slice('#SBATCH '.length)))
    assert.deepEqual(directives, [
      ['--job-name=exp-2025-01-22-x-train'],
      [`--output=${input.log}`],
      [`--error=${input.log}`],
      ["--partition=it's"],
      ['--qos=a b'],
      ['--exclusive'],
    ])
    // sbatch stops reading directives at the first command: every #SBATCH line comes before it
    const firstCommand = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'))
    assert.ok(lines.findLastIndex((l) => l.startsWith('#SBATCH')) < firstCommand)
    assert.match(
      text,
      /cd '\/ws\/it'\\''s here\/experiments\/2025-01-22-x' &&\n {2}'python3' '\/opt\/exp\/engines\/burgers\/train.py' '--config' 'config.yaml'/,
    )
  })

  it('the script runs the engine in the experiment directory and records start, end and exit code (bash, no SLURM)', async function () {
    this.timeout(20_000)
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "exp slurm's "))
    try {
      const expDir = path.join(root, 'exp')
      const runDir = path.join(expDir, 'runs', 'r1')
      await fs.mkdir(runDir, {recursive: true})
      const text = renderBatchScript({
        ...input,
        argv: ['bash', '-c', 'pwd > "$1"; echo "it\'s $2"; exit 3', 'engine', 'where.txt', '$HOME'],
        cwd: expDir,
        log: path.join(runDir, 'train.log'),
        runDir,
      })
      const script = path.join(runDir, 'train.slurm')
      await fs.writeFile(script, text)
      let code = 0
      let stdout = ''
      try {
        stdout = execFileSync('bash', [script], {encoding: 'utf8', env: {...process.env, SLURM_JOB_ID: '77'}})
      } catch (error: any) {
        code = error.status
        stdout = error.stdout
      }
      assert.equal(code, 3, 'the script exits with the engine code')
      assert.equal(stdout, "it's $HOME\n")
      assert.equal((await fs.readFile(path.join(expDir, 'where.txt'), 'utf8')).trim(), expDir)
      const started = await fs.readFile(path.join(runDir, 'train.started'), 'utf8')
      assert.match(started, /^started_at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\njob_id=77\nhost=.+\n$/)
      const ended = await fs.readFile(path.join(runDir, 'train.exit'), 'utf8')
      assert.match(ended, /^exit_code=3\nended_at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\njob_id=77\nsignal=\n$/)
      assert.deepEqual(
        (await fs.readdir(runDir)).sort(),
        ['train.exit', 'train.slurm', 'train.started'],
        'no temporary files left',
      )
    } finally {
      await fs.rm(root, {force: true, recursive: true})
    }
  })

  it('the script records SIGTERM (scancel, time limit) and still exits with the engine code', async function () {
    this.timeout(20_000)
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-slurm-'))
    try {
      const text = renderBatchScript({
        ...input,
        argv: ['sleep', '30'],
        cwd: root,
        log: path.join(root, 'train.log'),
        runDir: root,
      })
      await fs.writeFile(path.join(root, 'train.slurm'), text)
      const {spawn} = await import('node:child_process')
      // its own process group, as SLURM signals every process of the job
      const child = spawn('bash', [path.join(root, 'train.slurm')], {detached: true, stdio: 'ignore'})
      const deadline = Date.now() + 10_000
      while (!(await fs.stat(path.join(root, 'train.started')).catch(() => undefined)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 200))
      process.kill(-child.pid!, 'SIGTERM')
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
      assert.equal(code, 143)
      const ended = await fs.readFile(path.join(root, 'train.exit'), 'utf8')
      assert.match(ended, /^exit_code=143\n.*\nsignal=TERM\n$/s)
    } finally {
      await fs.rm(root, {force: true, recursive: true})
    }
  })

  it('submits train alone and evaluate after it (afterok, killed when the dependency cannot be met)', () => {
    assert.deepEqual(sbatchArgv('/r/train.slurm'), ['sbatch', '--parsable', '/r/train.slurm'])
    assert.deepEqual(sbatchArgv('/r/evaluate.slurm', '12'), [
      'sbatch',
      '--parsable',
      '--dependency=afterok:12',
      '--kill-on-invalid-dep=yes',
      '/r/evaluate.slurm',
    ])
  })

  it('reads options from exp.yaml and flags, refusing wrong types as usage errors', () => {
    assert.deepEqual(
      slurmResources({
        cpus: 4,
        gpus: '1',
        partition: 'gpu',
        poll_interval: 60,
        sbatch_args: ['--qos=x'],
        time: undefined,
      }),
      {
        account: undefined,
        cpus: 4,
        gpus: 1,
        mem: undefined,
        partition: 'gpu',
        sbatchArgs: ['--qos=x'],
        time: undefined,
      },
    )
    assert.throws(
      () => slurmResources({cpus: 0}),
      (e: any) => e.exit === 2 && /cpus/.test(e.message),
    )
    assert.throws(
      () => slurmResources({gpus: 'two'}),
      (e: any) => e.exit === 2 && /gpus/.test(e.message),
    )
  })
})

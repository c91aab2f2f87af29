import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync, promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {buildPayload} from '../../src/backends/vast/payload.js'
import type {StageName} from '../../src/runs/record.js'
import {ONSTART_LIMIT, remoteArgv, remoteWord, renderJobScript, renderOnstart} from '../../src/backends/vast/scripts.js'

const run = promisify(execFile)

/**
 * The generated scripts, run for real with bash in a temporary "instance": DATA_DIRECTORY, CONTAINER_ID and
 * CONTAINER_API_KEY set as vast sets them, and a stand-in `vastai` on PATH that records how it was called.
 */
describe('vast scripts', () => {
  let dir: string
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-vast-scripts-'))
  })
  afterEach(() => fs.rm(dir, {force: true, recursive: true}))

  const nasty = `it's $(touch PWNED) "q" \`id\` \\ *`
  const templates = {
    // user engines: plain bash, so the test needs no Python; each run appends to a counter to prove idempotence
    evaluate: [
      'bash',
      '-c',
      'printf "%s\\n" "$1" > "$2/arg.txt"; printf "\\x7b\\"gates_passed\\": true\\x7d" > "$3"',
      'evaluate',
      nasty,
      '{run_dir}',
      '{report}',
    ],
    train: [
      'bash',
      '-c',
      'mkdir -p "$1" && echo run >> "$1/count" && cat "$2" > "$1/model.txt"',
      'train',
      '{checkpoint_dir}',
      '{config}',
    ],
  }
  const job = {
    experiment: '2025-01-22-demo',
    runId: '20250122-101500-3f2a',
    shipsCheckpoint: false,
    stages: ['train', 'evaluate'] as Array<'train' | 'evaluate'>,
    templates,
  }

  async function instance(options: {waitSeconds?: number; upload?: boolean} = {}) {
    const expDir = path.join(dir, 'experiment')
    await fs.mkdir(path.join(expDir, 'runs', 'old'), {recursive: true})
    await fs.writeFile(path.join(expDir, 'config.yaml'), 'seed: 1\n')
    await fs.writeFile(path.join(expDir, 'runs', 'old', 'big.bin'), 'left at home')
    const payload = await buildPayload({
      experimentDir: expDir,
      jobScript: renderJobScript(job),
      runDir: path.join(dir, 'run'),
      wholeExperiment: true,
    })
    const onstart = renderOnstart({
      experiment: job.experiment,
      runId: job.runId,
      sha256: payload.sha256,
      waitSeconds: options.waitSeconds,
    })
    await fs.writeFile(path.join(dir, 'onstart.sh'), onstart)
    const data = path.join(dir, 'data')
    const x = path.join(data, `exp-${job.runId}`)
    if (options.upload !== false) {
      await fs.mkdir(path.join(x, 'payload'), {recursive: true})
      await fs.copyFile(payload.file, path.join(x, 'payload', 'payload.tar.gz'))
    }
    const bin = path.join(dir, 'bin')
    await fs.mkdir(bin, {recursive: true})
    await fs.writeFile(
      path.join(bin, 'vastai'),
      `#!/bin/bash\necho "$*" >> ${JSON.stringify(path.join(dir, 'vastai.calls'))}\necho "stopping instance $3."\n`,
      {mode: 0o755},
    )
    const start = () =>
      run('bash', [path.join(dir, 'onstart.sh')], {
        cwd: dir,
        env: {
          CONTAINER_API_KEY: 'inst-key-abc',
          CONTAINER_ID: '4242',
          DATA_DIRECTORY: `${data}/`,
          HOME: dir,
          PATH: `${bin}:${process.env.PATH}`,
        },
        timeout: 30_000,
      })
    return {onstart, out: path.join(x, 'out'), start, x}
  }

  it('an evaluation suite: each evaluation writes its own report under out/reports/, created first', () => {
    const suite = {
      ...job,
      stages: ['train', 'evaluate:nrmse', 'evaluate:rollout'] as StageName[],
      templates: {'evaluate:nrmse': ['ev', '{report}'], 'evaluate:rollout': ['ev', '{report}'], train: templates.train},
    }
    const script = renderJobScript(suite)
    assert.match(script, /mkdir -p "\$O\/reports"\nstage 'train' /)
    assert.match(script, /stage 'evaluate:nrmse' 'ev' "\$X"'\/out\/reports\/nrmse\.json' \|\| exit \$\?/)
    assert.deepEqual(remoteArgv(suite, 'evaluate:rollout'), [
      'ev',
      `/workspace/exp-${job.runId}/out/reports/rollout.json`,
    ])
    assert.doesNotMatch(renderJobScript(job), /reports/)
  })

  it('the onstart script stays under 4,000 characters even for long names, and holds no key', () => {
    const text = renderOnstart({
      experiment: `2025-01-22-${'x'.repeat(120)}`,
      runId: '20250122-101500-3f2a',
      sha256: 'f'.repeat(64),
    })
    assert.ok(text.length < ONSTART_LIMIT, `${text.length} characters`)
    assert.doesNotMatch(text, /VAST_API_KEY/)
    assert.match(text, /--api-key "\$CONTAINER_API_KEY"/)
  })

  it('every value in job.sh is single-quoted; only the run folder is expanded on the instance', () => {
    assert.equal(remoteWord('plain'), `'plain'`)
    assert.equal(remoteWord(''), `''`)
    const script = renderJobScript(job)
    assert.match(
      script,
      /stage 'train' 'bash' '-c' .* 'train' "\$X"'\/out\/checkpoints' "\$X"'\/job\/experiment\/config\.yaml' \|\| exit \$\?/,
    )
    assert.deepEqual(remoteArgv(job, 'train').slice(-2), [
      '/workspace/exp-20250122-101500-3f2a/out/checkpoints',
      '/workspace/exp-20250122-101500-3f2a/job/experiment/config.yaml',
    ])
  })

  it('runs the job once the payload is there, writes the exit marker and stops its own instance with the instance key', async () => {
    const inst = await instance()
    await inst.start()
    assert.equal(await fs.readFile(path.join(inst.out, 'status', 'exp-exit'), 'utf8'), '0\n\n')
    assert.equal(await fs.readFile(path.join(inst.out, 'status', 'train.exit'), 'utf8'), '0\n')
    assert.equal(await fs.readFile(path.join(inst.out, 'checkpoints', 'model.txt'), 'utf8'), 'seed: 1\n')
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(inst.out, 'report.json'), 'utf8')), {gates_passed: true})
    assert.equal(
      await fs.readFile(path.join(inst.out, 'arg.txt'), 'utf8'),
      `${nasty}\n`,
      'values reach the engine unchanged',
    )
    assert.equal(existsSync(path.join(inst.x, 'job', 'experiment', 'PWNED')), false)
    assert.equal(existsSync(path.join(inst.x, 'job', 'experiment', 'runs')), false, 'earlier runs stay at home')
    assert.deepEqual((await fs.readFile(path.join(dir, 'vastai.calls'), 'utf8')).trim().split('\n'), [
      'stop instance 4242 --api-key inst-key-abc',
    ])

    // vast re-runs onstart on every start: the job does not run again, the instance stops again
    await inst.start()
    assert.equal(await fs.readFile(path.join(inst.out, 'checkpoints', 'count'), 'utf8'), 'run\n')
    assert.equal((await fs.readFile(path.join(dir, 'vastai.calls'), 'utf8')).trim().split('\n').length, 2)
    assert.match(await fs.readFile(path.join(inst.out, 'onstart.log'), 'utf8'), /the job already ran \(exit 0\)/)
  })

  it('a failing stage stops the job with its code; later stages do not run', async () => {
    const failing = {...job, templates: {...templates, train: ['bash', '-c', 'echo boom >&2; exit 3']}}
    const expDir = path.join(dir, 'e')
    await fs.mkdir(expDir)
    await fs.writeFile(path.join(expDir, 'config.yaml'), 'x: 1\n')
    const script = renderJobScript(failing)
    const x = path.join(dir, 'x')
    await fs.mkdir(path.join(x, 'job', 'experiment'), {recursive: true})
    await fs.writeFile(path.join(x, 'job', 'job.sh'), script)
    const r = await run('bash', [path.join(x, 'job', 'job.sh'), x]).catch((e) => e)
    assert.equal(r.code, 3)
    assert.equal(await fs.readFile(path.join(x, 'out', 'status', 'train.exit'), 'utf8'), '3\n')
    assert.equal(existsSync(path.join(x, 'out', 'status', 'evaluate.exit')), false)
    assert.match(await fs.readFile(path.join(x, 'out', 'train.log'), 'utf8'), /boom/)
  })

  it('gives up when the payload never arrives: marker 97 with the reason, and stops itself', async () => {
    const inst = await instance({upload: false, waitSeconds: 2})
    await assert.rejects(inst.start(), (e: any) => e.code === 1)
    assert.match(
      await fs.readFile(path.join(inst.out, 'status', 'exp-exit'), 'utf8'),
      /^97\nthe payload did not arrive/,
    )
    assert.equal(
      (await fs.readFile(path.join(dir, 'vastai.calls'), 'utf8')).trim(),
      'stop instance 4242 --api-key inst-key-abc',
    )
  })
})

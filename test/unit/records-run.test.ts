import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../../src/errors.js'
import {checkRunRecord, readRun, type RunRecord, runFile, writeRun} from '../../src/records/run.js'
import {exp, expJson, inProcess, makeExperiment, removeDir, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * Issue 11, typed records: run.json. The scan's fast check (no zod) and the whole schema (readRun, writeRun) refuse
 * a malformed record in one line naming the field; unknown fields survive a write.
 */
const STAGE = {command: ['python', 'train.py'], cwd: '.', log: 'runs/r1/train.log', name: 'train', state: 'completed'}

function record(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backend: 'local',
    created_at: '2025-01-22T10:15:00.000Z',
    experiment: 'x',
    run_id: 'r1',
    schema: 1,
    stages: [STAGE],
    state: 'completed',
    updated_at: '2025-01-22T10:16:00.000Z',
    ...patch,
  }
}

const VAST = {
  attempts: [
    {
      at: '2025-01-22T10:15:00Z',
      disk_dph: 0.01,
      dph_total: 0.3,
      gpu: 'RTX 4090',
      instance_id: 7,
      machine_id: 1,
      num_gpus: 1,
      offer_id: 5,
    },
  ],
  candidates: [],
  checkpoint_dir: 'checkpoints/r1',
  cost_usd: 0.12,
  instance_live: false,
  job: 'runs/r1/job.sh',
  label: 'exp-x-r1',
  onstart: 'runs/r1/onstart.sh',
  options: {disk: 20},
  payload: {bytes: 1, file: 'runs/r1/payload.tar.gz', sha256: 'ab'},
  query: 'num_gpus=1',
  remote_dir: '/workspace/exp-r1',
  retried: false,
}

/** Each malformed record, the line the fast check (scan) gives, and the line readRun gives. */
const MALFORMED: Array<[string, Record<string, unknown>, RegExp, RegExp]> = [
  [
    'unknown backend',
    {backend: 'gpu-cloud'},
    /^backend "gpu-cloud" is not one of local, slurm, vast$/,
    /backend "gpu-cloud" is not one of local, slurm, vast/,
  ],
  ['state not a run state', {state: 'done'}, /^state "done" is not a run state$/, /state "done" is not a run state/],
  [
    'stage state a number',
    {stages: [{...STAGE, state: 3}]},
    /^stages\[0\]\.state 3 is not a run state$/,
    /stages\[0\]\.state 3/,
  ],
  ['experiment a number', {experiment: 42}, /^experiment 42 is not a string$/, /experiment 42 is not a string/],
  ['not_started a string', {not_started: 'yes'}, /^not_started "yes" is not a boolean$/, /not_started "yes"/],
  [
    'backend_data a list',
    {backend: 'slurm', backend_data: []},
    /^backend_data \[\] is not an object$/,
    /backend_data \[\] is not an object/,
  ],
  [
    'slurm jobs a string',
    {backend: 'slurm', backend_data: {jobs: 'j1'}},
    /^backend_data\.jobs "j1" is not an object$/,
    /backend_data\.jobs "j1" is not an object/,
  ],
  [
    'vast cost a string',
    {backend: 'vast', backend_data: {...VAST, cost_usd: '0.12'}},
    /^backend_data\.cost_usd "0\.12" is not a number$/,
    /backend_data\.cost_usd "0\.12" is not a number/,
  ],
]

/** Deeper than the fast check looks: only the schema (readRun, writeRun) names these. */
const DEEP: Array<[string, Record<string, unknown>, RegExp]> = [
  [
    'slurm job id a number',
    {backend: 'slurm', backend_data: {jobs: {train: {id: 12, script: 'runs/r1/train.sbatch'}}}},
    /backend_data\.jobs\.train\.id 12 is not a string/,
  ],
  [
    'vast attempt gpu a number',
    {backend: 'vast', backend_data: {...VAST, attempts: [{...VAST.attempts[0], gpu: 4090}]}},
    /backend_data\.attempts\[0\]\.gpu 4090 is not a string/,
  ],
  [
    'vast without instance_live',
    {backend: 'vast', backend_data: {...VAST, instance_live: undefined}},
    /backend_data\.instance_live is missing/,
  ],
  [
    'stage command a shell string',
    {stages: [{...STAGE, command: 'python train.py'}]},
    /stages\[0\]\.command "python train\.py" is not a list/,
  ],
  ['supervisor pid a string', {supervisor_pid: '123'}, /supervisor_pid "123" is not a number/],
]

describe('records: run.json', () => {
  let dir: string | undefined
  afterEach(async () => removeDir(dir))

  async function seed(value: unknown): Promise<string> {
    dir ??= await tempDir('exp-records-run-')
    await fs.mkdir(path.join(dir, 'runs', 'r1'), {recursive: true})
    await fs.writeFile(runFile(dir, 'r1'), JSON.stringify(value))
    return runFile(dir, 'r1')
  }

  async function refusal(promise: Promise<unknown>): Promise<ExpError> {
    const error = await promise.then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof ExpError, `an ExpError, not a crash: ${String(error)}`)
    assert.equal(error.message.split('\n').length, 1)
    return error
  }

  for (const [what, patch, fast, whole] of MALFORMED) {
    it(`${what}: the scan's check and readRun refuse it in one line naming the field`, async () => {
      const checked = checkRunRecord(record(patch), 'r1')
      assert.ok(!checked.ok, 'the fast check accepted it')
      assert.match(checked.problem, fast)
      const file = await seed(record(patch))
      const error = await refusal(readRun(file))
      assert.ok(error.message.startsWith(`${file}: `), error.message)
      assert.match(error.message, whole)
    })
  }

  for (const [what, patch, line] of DEEP) {
    it(`${what}: readRun and writeRun refuse it in one line naming the field; nothing is written`, async () => {
      const file = await seed(record())
      const before = await fs.readFile(file, 'utf8')
      assert.match((await refusal(writeRun(dir!, record(patch) as unknown as RunRecord))).message, line)
      assert.equal(await fs.readFile(file, 'utf8'), before, 'the file changed')
      await seed(record(patch))
      const error = await refusal(readRun(file))
      assert.match(error.message, new RegExp(`^${file.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `))
      assert.match(error.message, line)
    })
  }

  it('each backend reads back its own data; a write keeps fields exp does not know, values and order', async () => {
    const extras = {lab_notebook: {page: 12, tags: ['a', null]}, z_last: 1.5e-7}
    for (const patch of [
      {backend: 'local', supervisor_pid: 4242, supervisor_start: '123', boot_id: 'b'},
      {
        backend: 'slurm',
        backend_data: {
          jobs: {train: {id: '77_3', script: 'runs/r1/train.sbatch', cluster: 'c'}},
          array: {job: '77', task: 3},
        },
      },
      {backend: 'vast', backend_data: {...VAST, future_field: {nested: true}}},
    ]) {
      const file = await seed(record({...patch, ...extras}))
      const read = await readRun(file)
      const written = await writeRun(dir!, {...read, reason: 'checked'}, new Date('2025-01-23T00:00:00Z'))
      const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
      assert.deepEqual(onDisk, JSON.parse(JSON.stringify(written)))
      assert.deepEqual(onDisk.lab_notebook, extras.lab_notebook)
      assert.equal(onDisk.z_last, extras.z_last)
      assert.deepEqual(onDisk.backend_data, (patch as {backend_data?: unknown}).backend_data)
      assert.deepEqual(Object.keys(onDisk), [...Object.keys(record({...patch, ...extras})), 'reason'])
    }
  })
})

describe('records: a malformed run.json in a workspace', function () {
  inProcess()
  this.timeout(60_000)
  let ws: string | undefined
  afterEach(async () => removeDir(ws))

  it('exp list and exp show name the file and field on stderr and go on; the record is never used', async () => {
    ws = await tempWorkspace()
    await makeExperiment(ws, '2025-01-22-x', {
      'runs/r1/run.json': record({backend: 'gpu-cloud', state: 'running'}),
      'runs/r2/run.json': record({
        backend: 'vast',
        backend_data: {...VAST, cost_usd: 'free'},
        run_id: 'r2',
        stages: [{...STAGE, log: 'runs/r2/train.log'}],
      }),
    })
    for (const args of [['list'], ['show', 'x']]) {
      const r = await exp(args, {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
      assert.doesNotMatch(r.stderr, /this is a bug|TypeError/)
      assert.match(
        r.stderr,
        /runs\/r1\/run\.json: backend "gpu-cloud" is not one of local, slurm, vast; record not used/,
      )
      assert.match(r.stderr, /runs\/r2\/run\.json: backend_data\.cost_usd "free" is not a number; record not used/)
    }
    const {json} = await expJson(['list'], {cwd: ws})
    assert.equal(json.experiments[0].runs, 0, 'a malformed record was used')
    assert.equal(
      json.experiments[0].state,
      'idle',
      'the "running" record of an unknown backend made the experiment live',
    )
  })
})

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {vastBackend} from '../../src/backends/vast.js'
import {resolveOptions} from '../../src/backends/vast/offers.js'
import type {VastData} from '../../src/backends/vast/state.js'
import {readRun, type RunRecord, runFile, writeRun} from '../../src/runs/record.js'
import {settingsSchema} from '../../src/workspace/settings.js'
import {workspaceAt} from '../../src/workspace/workspace.js'
import {ROOT} from '../support/exp.js'

/**
 * The vast backend's refresh on records built by hand, against the fake vastai: the paths a CLI scenario cannot
 * reach easily (exp killed right after a create; an instance destroyed behind exp's back).
 */
const FAKE_DIR = path.join(ROOT, 'test', 'support', 'fake-vastai')

describe('vast backend refresh', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  const settings = settingsSchema.parse({})
  const expDir = () => path.join(dir, 'ws', 'experiments', '2025-01-22-demo')
  const vast = (...args: string[]) => execFileSync(path.join(FAKE_DIR, 'vastai'), args, {encoding: 'utf8', env})

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-vast-backend-'))
    env = {
      ...process.env,
      FAKE_VAST_HOME: path.join(dir, 'fake'),
      PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: 'acct-key-unit',
      XDG_CONFIG_HOME: path.join(dir, 'xdg'),
    }
    await fs.mkdir(path.join(expDir(), 'runs', 'r1'), {recursive: true})
  })
  afterEach(() => fs.rm(dir, {force: true, recursive: true}))

  function record(state: RunRecord['state'], data: Partial<VastData>): RunRecord {
    const full: VastData = {
      attempts: [],
      candidates: [],
      checkpoint_dir: 'checkpoints/r1',
      cost_usd: 0,
      instance_live: false,
      job: 'runs/r1/job.sh',
      label: 'exp-2025-01-22-demo-r1',
      onstart: 'runs/r1/onstart.sh',
      options: resolveOptions(settings.backends.vast, {}),
      payload: {bytes: 1, file: 'runs/r1/payload/payload.tar.gz', sha256: 'x'},
      query: 'num_gpus=1',
      remote_dir: '/workspace/exp-r1',
      retried: false,
      ...data,
    }
    const s = state === 'cancelled' ? 'cancelled' : state
    return {
      backend: 'vast',
      backend_data: full as unknown as Record<string, unknown>,
      created_at: '2025-01-22T10:00:00Z',
      experiment: '2025-01-22-demo',
      run_id: 'r1',
      schema: 1,
      stages: [{command: ['t'], cwd: '/w', log: 'runs/r1/train.log', name: 'train', state: s}],
      state,
      updated_at: '2025-01-22T10:00:00Z',
    }
  }

  // advance: these are the acting refreshes (exp watch, collect, the worker); read-only ones are in test/cli/vast-readonly
  const context = () => ({
    advance: true,
    env,
    log: () => {},
    now: () => new Date(),
    ws: workspaceAt(path.join(dir, 'ws'), settings),
  })

  it('finds an instance whose create answer was lost (exp killed) by its label, and destroys it when the launch had given up', async () => {
    const created = JSON.parse(
      vast('create', 'instance', '18234567', '--image', 'img', '--label', 'exp-2025-01-22-demo-r1', '--raw'),
    )
    const rec = await writeRun(
      expDir(),
      record('cancelled', {pending_create: {at: new Date().toISOString(), offer_id: 18234567}}),
    )
    const [out] = await vastBackend.refresh([{experimentDir: expDir(), record: rec}], context())
    const data = out.backend_data as unknown as VastData
    assert.equal(data.pending_create, undefined)
    assert.equal(data.attempts[0].instance_id, created.new_contract)
    assert.ok(data.attempts[0].destroyed_at, 'nothing may keep billing for a run nobody follows')
    assert.equal(data.instance_live, false)
    assert.deepEqual(JSON.parse(vast('show', 'instances', '--raw')), [])
    assert.deepEqual((await readRun(runFile(expDir(), 'r1'))).backend_data, out.backend_data)
  })

  it("a live run whose instance was destroyed behind exp's back fails, without renting again", async () => {
    const at = new Date().toISOString()
    const rec = await writeRun(
      expDir(),
      record('running', {
        attempts: [
          {
            at,
            created_at: at,
            disk_dph: 0.01,
            dph_total: 0.3,
            gpu: 'RTX 4090',
            instance_id: 23456789,
            machine_id: 1,
            num_gpus: 1,
            offer_id: 18234567,
            uploaded_at: at,
          },
        ],
      }),
    )
    const [out] = await vastBackend.refresh([{experimentDir: expDir(), record: rec}], context())
    assert.equal(out.state, 'failed')
    assert.match(out.stages[0].reason ?? '', /instance 23456789 no longer exists/)
    const calls = (await fs.readFile(path.join(dir, 'fake', 'calls.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).cmd)
    assert.deepEqual(calls, ['show instances'])
  })

  it('refreshes many live runs with ONE show instances call', async () => {
    const refs = []
    for (const [i, offer] of ['18234567', '19876543'].entries()) {
      const id = JSON.parse(vast('create', 'instance', offer, '--image', 'img', '--raw')).new_contract as number
      const runId = `r${i + 1}`
      await fs.mkdir(path.join(expDir(), 'runs', runId), {recursive: true})
      const at = new Date().toISOString()
      const rec = record('queued', {
        attempts: [
          {
            at,
            created_at: at,
            disk_dph: 0.01,
            dph_total: 0.3,
            gpu: 'g',
            instance_id: id,
            machine_id: i,
            num_gpus: 1,
            offer_id: Number(offer),
          },
        ],
      })
      refs.push({experimentDir: expDir(), record: await writeRun(expDir(), {...rec, run_id: runId})})
    }
    const out = await vastBackend.refresh(refs, context())
    assert.deepEqual(
      out.map((r) => [r.run_id, r.state, (r.backend_data as unknown as VastData).state]),
      [
        ['r1', 'queued', null],
        ['r2', 'queued', null],
      ],
    )
    const calls = (await fs.readFile(path.join(dir, 'fake', 'calls.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).cmd)
    assert.deepEqual(calls, ['create instance', 'create instance', 'show instances'])
    for (const r of out) vast('destroy', 'instance', String((r.backend_data as unknown as VastData).instance_id), '-y')
  })

  it('makes no vastai call at all when no vast run needs a look', async () => {
    const rec = await writeRun(expDir(), record('completed', {}))
    const [out] = await vastBackend.refresh([{experimentDir: expDir(), record: rec}], context())
    assert.equal(out, rec)
    await assert.rejects(fs.stat(path.join(dir, 'fake', 'calls.log')))
  })
})

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {resolveOptions} from '../../src/backends/vast/offers.js'
import type {VastAttempt, VastData} from '../../src/backends/vast/state.js'
import {type RunRecord, writeRun} from '../../src/runs/record.js'
import {settingsSchema} from '../../src/workspace/settings.js'
import {exp, inProcess, removeDir, ROOT, tempDir} from '../support/exp.js'

/**
 * Read-only commands never spend money: with a vast.ai run in every state the backend acts on, `exp list`,
 * `exp show` and `exp runs` make no vastai call but `show instances` (counted through the fake's calls.log);
 * `exp runs --advance` then acts (uploads, fetches the marker, destroys, rents again), so the count can fail.
 */
const FAKE_DIR = path.join(ROOT, 'test', 'support', 'fake-vastai')

describe('read-only commands and vast.ai (fake vastai)', function () {
  this.timeout(120_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let root: string | undefined
  afterEach(async () => {
    if (root) {
      const state = JSON.parse(await fs.readFile(path.join(root, 'fake', 'state.json'), 'utf8').catch(() => '{}')) as {
        instances?: Record<string, {onstart_pid?: number}>
      }
      for (const inst of Object.values(state.instances ?? {}))
        if (inst.onstart_pid) process.kill(-inst.onstart_pid, 'SIGKILL')
    }
    await removeDir(root)
  })

  it('exp list, show and runs only ever call show instances; exp runs --advance acts', async () => {
    root = await tempDir('exp-vast-ro-')
    const home = path.join(root, 'fake')
    await fs.mkdir(home, {recursive: true})
    await fs.writeFile(path.join(home, 'scenario.json'), JSON.stringify({per_instance: {'1': {stuck_loading: true}}}))
    const env = {
      FAKE_VAST_HOME: home,
      PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: 'acct-key-ro',
      XDG_CONFIG_HOME: path.join(root, 'xdg'),
    }
    const vast = (...args: string[]) =>
      execFileSync(path.join(FAKE_DIR, 'vastai'), args, {encoding: 'utf8', env: {...process.env, ...env}})
    const ws = path.join(root, 'ws')
    assert.equal((await exp(['init', ws], {cwd: root, env})).code, 0)
    assert.equal((await exp(['new', 'demo'], {cwd: ws, env})).code, 0)
    const name = (await fs.readdir(path.join(ws, 'experiments'))).find((n) => n.endsWith('-demo'))!
    const dir = path.join(ws, 'experiments', name)

    // instances: 1 stuck loading (past its deadline), 2 running (payload not uploaded), 3 stopped (job ended), 4 lost create
    const create = (offer: string, label: string) =>
      JSON.parse(vast('create', 'instance', offer, '--image', 'img', '--label', label, '--raw')).new_contract as number
    const ids = [
      create('18234567', 'exp-a'),
      create('18234601', 'exp-b'),
      create('19012345', 'exp-c'),
      create('19876543', `exp-${name}-r4`),
    ]
    for (let i = 0; i < 4; i++) vast('show', 'instances', '--raw')
    vast('stop', 'instance', String(ids[2]))
    const rows = JSON.parse(vast('show', 'instances', '--raw')) as Array<{id: number; actual_status: string}>
    assert.deepEqual(
      ids.slice(0, 3).map((id) => rows.find((r) => r.id === id)?.actual_status),
      ['loading', 'running', 'exited'],
    )

    const long = new Date(Date.now() - 3 * 3600_000).toISOString()
    const attempt = (id: number, extra: Partial<VastAttempt> = {}): VastAttempt => ({
      at: long,
      created_at: long,
      disk_dph: 0.01,
      dph_total: 0.3,
      gpu: 'RTX 4090',
      instance_id: id,
      machine_id: id,
      num_gpus: 1,
      offer_id: 18234567,
      ...extra,
    })
    const runs: Array<[string, RunRecord['state'], Partial<VastData>]> = [
      ['r1', 'queued', {attempts: [attempt(ids[0])]}], // loading past the deadline: acting destroys it and rents again
      ['r2', 'running', {attempts: [attempt(ids[1])]}], // running: acting uploads the payload
      ['r3', 'running', {attempts: [attempt(ids[2], {uploaded_at: long})]}], // stopped: acting fetches the exit marker
      ['r4', 'cancelled', {pending_create: {at: long, offer_id: 18234567}}], // lost create: acting destroys it
      ['r5', 'running', {attempts: [attempt(99_999_999, {uploaded_at: long})]}], // gone: recorded failed, no call
    ]
    for (const [id, state, data] of runs) {
      await fs.mkdir(path.join(dir, 'runs', id), {recursive: true})
      await writeRun(dir, vastRecord(name, id, state, data), new Date())
    }

    await fs.rm(path.join(home, 'calls.log'), {force: true})
    for (const args of [['list'], ['show', 'demo'], ['runs']]) {
      const r = await exp(args, {cwd: ws, env})
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    }
    const readCalls = await calls(home)
    assert.ok(readCalls.length > 0 && readCalls.length <= 3, readCalls.join(', '))
    assert.deepEqual([...new Set(readCalls)], ['show instances'])
    const seen = JSON.parse((await exp(['runs', 'demo', '--json'], {cwd: ws, env})).stdout) as {
      runs: Array<{run_id: string; state: string}>
    }
    assert.equal(seen.runs.find((r) => r.run_id === 'r5')?.state, 'failed', 'what it observes is recorded')
    assert.equal(seen.runs.find((r) => r.run_id === 'r2')?.state, 'running')

    await fs.rm(path.join(home, 'calls.log'), {force: true})
    assert.equal((await exp(['runs', '--advance'], {cwd: ws, env})).code, 0)
    const acted = new Set(await calls(home))
    for (const cmd of ['copy', 'destroy instance'])
      assert.ok(acted.has(cmd), `exp runs --advance acts: ${[...acted].join(', ')}`)
  })
})

async function calls(home: string): Promise<string[]> {
  const text = await fs.readFile(path.join(home, 'calls.log'), 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as {cmd: string}).cmd)
}

function vastRecord(experiment: string, runId: string, state: RunRecord['state'], data: Partial<VastData>): RunRecord {
  const full: VastData = {
    attempts: [],
    candidates: [
      {
        disk_dph: 0.01,
        dph_total: 0.3,
        geolocation: null,
        gpu: 'RTX 4090',
        id: 18234567,
        machine_id: 1,
        num_gpus: 1,
        reliability: 0.99,
      } as unknown as VastData['candidates'][number],
    ],
    checkpoint_dir: `checkpoints/${runId}`,
    cost_usd: 0,
    instance_live: false,
    job: `runs/${runId}/job.sh`,
    label: `exp-${experiment}-${runId}`,
    onstart: `runs/${runId}/onstart.sh`,
    options: resolveOptions(settingsSchema.parse({}).backends.vast, {}),
    payload: {bytes: 1, file: `runs/${runId}/payload/payload.tar.gz`, sha256: 'x'},
    query: 'num_gpus=1',
    remote_dir: `/workspace/exp-${runId}`,
    retried: false,
    ...data,
  }
  return {
    backend: 'vast',
    backend_data: full as unknown as Record<string, unknown>,
    created_at: '2025-01-22T10:00:00Z',
    experiment,
    run_id: runId,
    schema: 1,
    stages: [{command: ['t'], cwd: '/w', log: `runs/${runId}/train.log`, name: 'train', state}],
    state,
    updated_at: '2025-01-22T10:00:00Z',
  }
}

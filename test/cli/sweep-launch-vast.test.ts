import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, type ExpResult, expJson, inProcess, removeDir, requireTool, ROOT, tempDir} from '../support/exp.js'

/**
 * `exp launch SWEEP --backend vast --jobs 2` against the fake `vastai` (test/support/fake-vastai): the variants are
 * dealt over 2 instances, each running its share one after another from one payload; exp watch collects every
 * variant into its own folder and destroys each instance after its last variant came home.
 */
const FAKE_DIR = path.join(ROOT, 'test', 'support', 'fake-vastai')
// an engine small enough to live in exp.yaml: train fails when the variant's config says `fail: true`
const TRAIN =
  "import os,sys; c=open('config.yaml').read(); sys.exit(1) if 'fail: true' in c else None; os.makedirs(sys.argv[1], exist_ok=True); open(os.path.join(sys.argv[1], 'model.bin'), 'w').write('m')"
const EVALUATE =
  "import json,os,sys; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); open(sys.argv[1], 'w').write(json.dumps(dict(gates_passed=True, final_nrmse=0.1)))"

interface Call {
  argv: string[]
  cmd: string | null
}

const hasTools = (): boolean => {
  const found = (tool: string) => {
    try {
      return Boolean(execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'pipe'}).length)
    } catch {
      return false
    }
  }
  return ['python3', 'bash', 'tar', 'sha256sum'].every((tool) => found(tool))
}

describe('exp launch SWEEP --backend vast (fake vastai)', function () {
  inProcess()
  this.timeout(90_000)
  let root: string
  let ws: string
  let home: string
  let env: Record<string, string | undefined>
  const run = (args: string[]): Promise<ExpResult> => exp(args, {cwd: ws, env, timeout: 60_000})

  before(async function () {
    requireTool(this, hasTools(), 'python3, bash, tar and sha256sum are needed to run the fake instance')
  })
  beforeEach(async () => {
    root = await tempDir('exp-vast-sweep-')
    ws = path.join(root, 'ws')
    home = path.join(root, 'fake-vast')
    await fs.mkdir(home, {recursive: true})
    env = {
      FAKE_VAST_HOME: home,
      PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: 'acct-sweep-key',
      XDG_CONFIG_HOME: path.join(root, 'xdg'),
    }
    assert.equal((await exp(['init', ws], {cwd: root, env})).code, 0)
    const yaml = [
      'backends:',
      '  vast:',
      '    poll_interval: 0.2',
      'engines:',
      `  train: ["{python}", "-c", ${JSON.stringify(TRAIN)}, "{checkpoint_dir}"]`,
      `  evaluate: ["{python}", "-c", ${JSON.stringify(EVALUATE)}, "{report}"]`,
      '',
    ]
    await fs.appendFile(path.join(ws, 'exp.yaml'), yaml.join('\n'))
  })
  afterEach(async () => {
    const state = JSON.parse(await fs.readFile(path.join(home, 'state.json'), 'utf8').catch(() => '{}')) as {
      instances?: Record<string, {onstart_pid?: number}>
    }
    for (const inst of Object.values(state.instances ?? {})) {
      try {
        if (inst.onstart_pid) process.kill(-inst.onstart_pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await removeDir(root)
  })

  const calls = async (): Promise<Call[]> =>
    (await fs.readFile(path.join(home, 'calls.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call)
  const sweep = async (failing?: string) => {
    const r = await run([
      'new',
      'sw',
      '--grid',
      'model.latent_dim=8,16',
      '--grid',
      'training.epochs=1,2',
      '--date',
      '2025-03-01',
    ])
    assert.equal(r.code, 0, r.stderr)
    const dir = path.join(ws, 'experiments', '2025-03-01-sw')
    if (failing) await fs.appendFile(path.join(dir, failing, 'config.yaml'), 'fail: true\n')
    return dir
  }
  const runOf = async (dir: string, variant: string) => {
    const runs = path.join(dir, variant, 'runs')
    const [id] = (await fs.readdir(runs)).sort().reverse()
    return JSON.parse(await fs.readFile(path.join(runs, id, 'run.json'), 'utf8'))
  }
  const VARIANTS = ['latent-dim8_epochs1', 'latent-dim8_epochs2', 'latent-dim16_epochs1', 'latent-dim16_epochs2']

  async function launchAndWatch(dir: string): Promise<{records: any[]; watched: ExpResult}> {
    const launched = await run(['launch', 'sw', '--backend', 'vast', '--jobs', '2'])
    assert.equal(launched.code, 0, launched.stdout + launched.stderr)
    assert.match(launched.stdout, /instance 1 of 2: .*, .*, one after another/)
    const watched = await run(['watch', 'sw', '--interval', '0.3'])
    const records = await Promise.all(VARIANTS.map((v) => runOf(dir, v)))
    return {records, watched}
  }

  it('4 variants on 2 instances: all 4 results collected, both instances destroyed, cost per variant and for the sweep', async () => {
    const dir = await sweep()
    const {records, watched} = await launchAndWatch(dir)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    const c = await calls()
    // both instances ask for the cheapest offer: the second finds it taken (no_such_ask) and rents the next
    const state = JSON.parse(await fs.readFile(path.join(home, 'state.json'), 'utf8'))
    assert.equal(state.created_count, 2, 'one instance per --jobs, not per variant')
    const ids = [...new Set(records.map((r) => r.backend_data.instance_id))]
    assert.equal(ids.length, 2)
    const destroyed = c.filter((x) => x.cmd === 'destroy instance').map((x) => Number(x.argv[2]))
    assert.deepEqual([...new Set(destroyed)].sort(), [...ids].sort(), 'both instances destroyed')
    for (const [i, r] of records.entries()) {
      assert.equal(r.state, 'completed', `${VARIANTS[i]}: ${r.reason}`)
      assert.ok(r.backend_data.collected_at, `${VARIANTS[i]} collected`)
      assert.equal(r.backend_data.instance_live, false, watched.stdout)
      assert.ok(r.backend_data.instance_share > 0 && r.backend_data.instance_share <= 1)
      assert.ok(existsSync(path.join(dir, VARIANTS[i], r.report)), `${VARIANTS[i]}'s report came home`)
      assert.ok(
        existsSync(path.join(dir, VARIANTS[i], r.backend_data.checkpoint_dir, 'model.bin')),
        `${VARIANTS[i]}'s checkpoint came home`,
      )
      assert.match(
        await fs.readFile(path.join(dir, VARIANTS[i], 'runs', r.run_id, 'launch.log'), 'utf8'),
        /\] COLLECT: from instance/,
      )
    }
    // the shares of each instance add up to the whole of it
    for (const id of ids) {
      const shares = records.filter((r) => r.backend_data.instance_id === id).map((r) => r.backend_data.instance_share)
      assert.equal(shares.length, 2)
      assert.ok(Math.abs(shares.reduce((a: number, b: number) => a + b, 0) - 1) < 0.001, shares.join(' + '))
    }
    const listed = await expJson(['runs', 'sw'], {cwd: ws, env})
    assert.equal(listed.code, 0, listed.stderr)
    assert.ok(
      listed.json.runs.filter((r: any) => typeof r.cost === 'number').length >= 4,
      JSON.stringify(listed.json.runs.map((r: any) => r.cost)),
    )
    const table = await run(['runs', 'sw'])
    assert.match(table.stdout, /Cost of the variants' runs: \$/)
  })

  it('variants that finished before exp watch started are still collected (their results wait on the instance)', async () => {
    const dir = await sweep()
    const launched = await run(['launch', 'sw', '--backend', 'vast', '--jobs', '2'])
    assert.equal(launched.code, 0, launched.stdout + launched.stderr)
    // advance without watching until no variant is live: they end uncollected, as when watch starts late
    const finished = async () =>
      (await Promise.all(VARIANTS.map((v) => runOf(dir, v)))).every((r) => !['queued', 'running'].includes(r.state))
    for (let i = 0; i < 300 && !(await finished()); i++) assert.equal((await run(['runs', 'sw', '--advance'])).code, 0)
    assert.ok(await finished(), 'every variant ended')
    const before = await Promise.all(VARIANTS.map((v) => runOf(dir, v)))
    assert.ok(
      before.some((r) => !r.backend_data.collected_at),
      'some results still wait on an instance',
    )
    const watched = await run(['watch', 'sw', '--interval', '0.3'])
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    for (const [i, r] of (await Promise.all(VARIANTS.map((v) => runOf(dir, v)))).entries()) {
      assert.equal(r.state, 'completed', `${VARIANTS[i]}: ${r.reason}`)
      assert.ok(r.backend_data.collected_at, `${VARIANTS[i]} collected: ${watched.stdout}`)
      assert.ok(existsSync(path.join(dir, VARIANTS[i], r.report)), `${VARIANTS[i]}'s report came home`)
    }
  })

  it("one variant's train failing: the other 3 still collected, the failed one recorded, every instance destroyed", async () => {
    const dir = await sweep('latent-dim8_epochs2')
    const {records} = await launchAndWatch(dir)
    const states = records.map((r) => r.state)
    assert.deepEqual(states, ['completed', 'failed', 'completed', 'completed'])
    assert.equal(records[1].stages[0].exit_code, 1)
    for (const i of [0, 2, 3])
      assert.ok(existsSync(path.join(dir, VARIANTS[i], records[i].report)), `${VARIANTS[i]}'s report came home`)
    const c = await calls()
    const ids = [...new Set(records.map((r) => r.backend_data.instance_id))]
    const destroyed = new Set(c.filter((x) => x.cmd === 'destroy instance').map((x) => Number(x.argv[2])))
    assert.ok(
      ids.every((id) => destroyed.has(id)),
      `destroyed ${[...destroyed].join(', ')} of ${ids.join(', ')}`,
    )
  })
})

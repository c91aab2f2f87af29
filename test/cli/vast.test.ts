import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, type ExpResult, inProcess, removeDir, requireTool, ROOT, tempDir} from '../support/exp.js'

/**
 * `exp launch --vast` end to end against the fake `vastai` (test/support/fake-vastai), first on PATH. The fake's
 * instances run the generated onstart script for real, so the embedded engine trains and evaluates "on the
 * instance" and exp brings a real report home.
 */
const FAKE_DIR = path.join(ROOT, 'test', 'support', 'fake-vastai')
const KEY = 'acct-KEY-5f3e9c1d-never-print-me'

function hasTools(): boolean {
  try {
    for (const tool of ['python3', 'bash', 'tar', 'sha256sum'])
      execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

interface Call {
  argv: string[]
  cmd: string | null
}

interface World {
  root: string
  ws: string
  home: string
  env: Record<string, string | undefined>
  /** every line exp printed in this test, to grep for the key */
  outputs: string[]
  run(args: string[]): Promise<ExpResult>
  json(args: string[]): Promise<{code: number; json: any; stderr: string}>
  calls(): Promise<Call[]>
  record(): Promise<any>
}

async function world(
  options: {scenario?: object; vast?: string; env?: Record<string, string | undefined>} = {},
): Promise<World> {
  const root = await tempDir('exp-vast-')
  const ws = path.join(root, 'ws')
  const home = path.join(root, 'fake-vast')
  await fs.mkdir(home, {recursive: true})
  if (options.scenario) await fs.writeFile(path.join(home, 'scenario.json'), JSON.stringify(options.scenario))
  const env: Record<string, string | undefined> = {
    FAKE_VAST_HOME: home,
    PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH}`,
    VAST_API_KEY: KEY,
    XDG_CONFIG_HOME: path.join(root, 'xdg'),
    ...options.env,
  }
  const outputs: string[] = []
  const run = async (args: string[]) => {
    const r = await exp(args, {cwd: ws, env, timeout: 60_000})
    outputs.push(r.stdout, r.stderr)
    return r
  }
  const init = await exp(['init', ws], {cwd: root, env})
  assert.equal(init.code, 0, init.stderr)
  // fast polls; the rest of backends.vast keeps its defaults
  await fs.appendFile(path.join(ws, 'exp.yaml'), `backends:\n  vast:\n    poll_interval: 0.2\n${options.vast ?? ''}`)
  const created = await run(['new', 'demo'])
  assert.equal(created.code, 0, created.stderr)
  return {
    async calls() {
      const text = await fs.readFile(path.join(home, 'calls.log'), 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
    },
    env,
    home,
    async json(args) {
      const r = await run([...args, '--json'])
      try {
        return {code: r.code, json: JSON.parse(r.stdout), stderr: r.stderr}
      } catch {
        throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
      }
    },
    outputs,
    async record() {
      const runs = path.join(
        ws,
        'experiments',
        (await fs.readdir(path.join(ws, 'experiments'))).find((n) => n.endsWith('-demo'))!,
        'runs',
      )
      const [id] = (await fs.readdir(runs)).sort().reverse()
      return JSON.parse(await fs.readFile(path.join(runs, id, 'run.json'), 'utf8'))
    },
    root,
    run,
    ws,
  }
}

/** Kill whatever the fake's instances still run (their onstart process groups), then remove everything. */
async function cleanup(w: World | undefined): Promise<void> {
  if (!w) return
  const state = JSON.parse(await fs.readFile(path.join(w.home, 'state.json'), 'utf8').catch(() => '{}')) as {
    instances?: Record<string, {onstart_pid?: number}>
  }
  for (const inst of Object.values(state.instances ?? {})) {
    if (!inst.onstart_pid) continue
    try {
      process.kill(-inst.onstart_pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await removeDir(w.root)
}

const commands = (calls: Call[]) => calls.map((c) => c.cmd)
const creates = (calls: Call[]) => calls.filter((c) => c.cmd === 'create instance').map((c) => Number(c.argv[2]))
const destroys = (calls: Call[]) => calls.filter((c) => c.cmd === 'destroy instance').map((c) => c.argv)

/** Every file under dir (text), for the key-leak check. */
async function allText(dir: string): Promise<string[]> {
  const out: string[] = []
  const visit = async (p: string) => {
    const stat = await fs.lstat(p)
    if (stat.isDirectory()) for (const e of await fs.readdir(p)) await visit(path.join(p, e))
    else if (stat.isFile()) out.push(`${p}\n${(await fs.readFile(p)).toString('latin1')}`)
  }
  await visit(dir)
  return out
}

async function watchToEnd(w: World): Promise<ExpResult> {
  const r = await w.run(['watch', 'demo', '--interval', '0.5'])
  return r
}

describe('exp launch --vast (fake vastai)', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let w: World | undefined

  before(function () {
    requireTool(this, hasTools(), 'python3, bash, tar and sha256sum are needed to run the fake instance')
  })
  afterEach(async () => {
    await cleanup(w)
    w = undefined
  })

  it('runs train → evaluate on a rented instance, brings the report home, and exp list says success; the key never leaks', async () => {
    w = await world()
    const launched = await w.run(['launch', 'demo', '--vast'])
    assert.equal(launched.code, 0, launched.stderr)
    assert.match(launched.stdout, /rented instance \d+ on offer 19876543/)

    const watched = await watchToEnd(w)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    assert.match(watched.stdout, /collected from instance \d+; instance \d+ destroyed \(auto-shutdown\)/)

    const list = await w.json(['list'])
    assert.equal(list.code, 0, list.stderr)
    const [demo] = list.json.experiments
    assert.equal(demo.status, 'success', demo.reason)
    assert.match(demo.reason, /reports\/.*\.json: gates_passed is true/)

    const record = await w.record()
    assert.equal(record.state, 'completed')
    assert.deepEqual(
      record.stages.map((s: any) => [s.name, s.state, s.exit_code]),
      [
        ['train', 'completed', 0],
        ['evaluate', 'completed', 0],
      ],
    )
    const data = record.backend_data
    assert.equal(data.offer_id, 19876543) // the cheapest verified 1-GPU offer
    assert.equal(data.machine_id, 28111)
    assert.equal(data.dph_total, 0.1893)
    assert.equal(data.instance_live, false)
    assert.ok(data.collected_at)
    assert.ok(typeof data.cost_usd === 'number' && data.cost_usd >= 0)
    const exp = path.dirname(
      path.dirname(path.dirname(path.join(w.ws, 'experiments', record.experiment, 'runs', record.run_id, 'run.json'))),
    )
    const report = JSON.parse(await fs.readFile(path.join(exp, record.report), 'utf8'))
    assert.equal(report.gates_passed, true)
    assert.ok(existsSync(path.join(exp, data.checkpoint_dir, 'model.json')), 'checkpoint came home')
    assert.match(await fs.readFile(path.join(exp, 'runs', record.run_id, 'train.log'), 'utf8'), /epoch/)

    // the instance stopped itself with its own key; exp destroyed it after the verified collect
    const state = JSON.parse(await fs.readFile(path.join(w.home, 'state.json'), 'utf8'))
    const history = (Object.values(state.instances)[0] as any).history.map(
      (h: any) => `${h.event}${h.by ? `:${h.by}` : ''}`,
    )
    assert.ok(history.includes('stopped:instance_key'), history.join(' '))
    assert.ok(history.includes('destroyed:account_key'), history.join(' '))
    const calls = await w.calls()
    assert.deepEqual(creates(calls), [19876543])
    assert.ok(
      calls.every((c) => !c.argv.includes('--api-key') || c.cmd === 'stop instance'),
      'exp never passes --api-key',
    )
    assert.ok(calls.filter((c) => c.cmd === 'destroy instance').every((c) => c.argv.includes('-y')))

    // the key: not in the workspace (scripts, records, logs, results), not in anything exp printed
    const leaks = (await allText(w.ws)).filter((t) => t.includes(KEY)).map((t) => t.split('\n')[0])
    assert.deepEqual(leaks, [])
    assert.ok(w.outputs.every((o) => !o.includes(KEY)))
    const onstart = await fs.readFile(path.join(exp, data.onstart), 'utf8')
    assert.ok(onstart.length < 4000, `onstart is ${onstart.length} characters`)
    assert.match(onstart, /CONTAINER_API_KEY/)
  })

  it('--dry-run calls nothing but search offers and shows the offer, the price, the create command and the onstart script', async () => {
    w = await world()
    const r = await w.run(['launch', 'demo', '--vast', '--gpu', 'RTX_4090', '--dry-run'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /would rent offer 18234567: RTX 4090 at \$0\.3569\/h/)
    assert.match(
      r.stdout,
      /create: vastai create instance 18234567 --image python:3\.11-slim --disk 20 --onstart \S+onstart\.sh --label exp-\S+-demo-\S+ --cancel-unavail --raw/,
    )
    assert.match(r.stdout, /onstart script \(\d+ characters\):\n\s+#!\/bin\/bash/)
    assert.match(r.stdout, /vastai stop instance "\$CONTAINER_ID" --api-key "\$CONTAINER_API_KEY"/)
    const api = commands(await w.calls()).filter((c) => c !== '--version')
    assert.deepEqual(api, ['search offers'])
    const search = (await w.calls()).find((c) => c.cmd === 'search offers')!
    assert.match(search.argv[2], /gpu_name=RTX_4090 num_gpus=1 reliability>=0\.95/)
    assert.deepEqual(search.argv.slice(3), ['-o', 'dph+', '--storage', '20', '--raw'])
    const expDir = path.join(
      w.ws,
      'experiments',
      (await fs.readdir(path.join(w.ws, 'experiments'))).find((n) => n.endsWith('-demo'))!,
    )
    assert.equal(existsSync(path.join(expDir, 'runs')), false, 'a dry run writes nothing')
  })

  it('moves on to the next offer when the cheapest vanished before create, and exp cancel destroys the instance', async () => {
    w = await world({scenario: {vanish_offers: [19876543]}})
    const launched = await w.run(['launch', 'demo', '--vast'])
    assert.equal(launched.code, 0, launched.stderr)
    assert.match(launched.stdout, /offer 19876543 is gone; trying the next one/)
    assert.deepEqual(creates(await w.calls()), [19876543, 18234567])
    let record = await w.record()
    assert.equal(record.backend_data.offer_id, 18234567)
    assert.deepEqual(
      record.backend_data.attempts.map((a: any) => a.outcome ?? 'current'),
      ['offer-gone', 'current'],
    )

    const cancelled = await w.run(['cancel', 'demo', '--yes'])
    assert.equal(cancelled.code, 0, cancelled.stderr)
    record = await w.record()
    assert.equal(record.state, 'cancelled')
    assert.equal(record.backend_data.instance_live, false)
    assert.deepEqual(destroys(await w.calls()), [
      ['destroy', 'instance', String(record.backend_data.instance_id), '-y'],
    ])
  })

  it('destroys an instance stuck loading past the deadline and retries once on another machine (--no-auto-shutdown keeps it, and exp runs says it bills disk)', async () => {
    w = await world({
      scenario: {per_instance: {'1': {stuck_loading: true}}},
      vast: '    loading_timeout_minutes: 0.1\n',
    })
    const launched = await w.run(['launch', 'demo', '--vast', '--no-auto-shutdown'])
    assert.equal(launched.code, 0, launched.stderr)
    assert.match(launched.stdout, /still loading after 0\.1 min/)
    const watched = await watchToEnd(w)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)

    const record = await w.record()
    assert.equal(record.state, 'completed')
    const [first, second] = record.backend_data.attempts
    assert.equal(first.outcome, 'loading-timeout')
    assert.ok(first.destroyed_at)
    assert.notEqual(second.machine_id, first.machine_id)
    assert.equal(record.backend_data.retried, true)
    const calls = await w.calls()
    assert.deepEqual(
      destroys(calls),
      [['destroy', 'instance', String(first.instance_id), '-y']],
      'only the stuck one: the other is kept',
    )
    assert.equal(creates(calls).length, 2)
    assert.equal((await w.json(['list'])).json.experiments[0].status, 'success')

    assert.equal(record.backend_data.instance_live, true)
    const runs = await w.run(['runs', 'demo'])
    assert.match(runs.stdout, new RegExp(`instance ${second.instance_id} is stopped .*still bills its disk`))
    assert.match(runs.stdout, /\$\d/, 'the cost so far')
    assert.match((await w.run(['collect', 'demo'])).stdout, /already collected/)
  })

  it('a job that fails on the instance fails the run by its exit code; watch brings the logs home and destroys the instance', async () => {
    w = await world()
    const expDir = path.join(
      w.ws,
      'experiments',
      (await fs.readdir(path.join(w.ws, 'experiments'))).find((n) => n.endsWith('-demo'))!,
    )
    await fs.writeFile(path.join(expDir, 'config.yaml'), 'data:\n  nx: 2\n') // the engine refuses it: exit 2
    assert.equal((await w.run(['launch', 'demo', '--vast'])).code, 0)
    const watched = await watchToEnd(w)
    assert.equal(watched.code, 1)
    assert.match(watched.stdout, /destroyed \(auto-shutdown\)/)
    const record = await w.record()
    assert.deepEqual(
      record.stages.map((s: any) => [s.name, s.state, s.exit_code ?? null]),
      [
        ['train', 'failed', 2],
        ['evaluate', 'cancelled', null],
      ],
    )
    const list = (await w.json(['list'])).json.experiments[0]
    assert.equal(list.status, 'failed')
    assert.match(list.reason, /train exited with code 2/)
    // a failed run stops billing too: its logs came home and the instance is gone
    assert.match(await fs.readFile(path.join(expDir, 'runs', record.run_id, 'train.log'), 'utf8'), /error:/)
    assert.equal(record.backend_data.instance_live, false)
    assert.equal(destroys(await w.calls()).length, 1)
    const again = await w.json(['collect', 'demo'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(destroys(await w.calls()).length, 1, 'nothing destroyed twice')
  })

  it('destroys an instance that exited without finishing and retries once; a second such failure fails the run', async () => {
    w = await world({scenario: {per_instance: {'1': {exit_without_finishing: true}}}})
    assert.equal((await w.run(['launch', 'demo', '--vast'])).code, 0)
    const watched = await watchToEnd(w)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    const record = await w.record()
    assert.equal(record.state, 'completed')
    assert.equal(record.backend_data.attempts[0].outcome, 'exited-without-marker')
    assert.equal(record.backend_data.attempts[0].state, 'exited')
    assert.notEqual(record.backend_data.attempts[1].machine_id, record.backend_data.attempts[0].machine_id)
    assert.equal((await w.json(['list'])).json.experiments[0].status, 'success')
    await cleanup(w)

    // both instances die: one retry only, then the run fails with the reason, and nothing is left renting
    w = await world({scenario: {exit_without_finishing: true}})
    assert.equal((await w.run(['launch', 'demo', '--vast'])).code, 0)
    const failed = await watchToEnd(w)
    assert.equal(failed.code, 1)
    const rec = await w.record()
    assert.equal(rec.state, 'failed')
    assert.match(rec.reason, /without the job's exit marker .*after one retry/)
    assert.equal(creates(await w.calls()).length, 2)
    assert.equal(destroys(await w.calls()).length, 2)
    const list = (await w.json(['list'])).json.experiments[0]
    assert.equal(list.status, 'failed')
    assert.match(list.reason, /exit marker/)
  })

  it('waits and tries again after a 429 (rate limit), then rents', async () => {
    w = await world({scenario: {rate_limit: {command: 'create instance', times: 1}}})
    const launched = await w.run(['launch', 'demo', '--vast', '--detach'])
    assert.equal(launched.code, 0, launched.stderr)
    assert.match(launched.stdout, /rate-limiting requests; trying vastai create instance 19876543 again/)
    assert.deepEqual(creates(await w.calls()), [19876543, 19876543])
    const record = await w.record()
    assert.equal(record.state, 'queued')
    assert.equal(typeof record.backend_data.instance_id, 'number')
    assert.deepEqual(record.backend_data.attempts.length, 1)
    assert.equal((await w.run(['cancel', 'demo', '--yes'])).code, 0)
  })

  it('refuses without an API key (exit 4, nothing created) and names how to set one', async () => {
    w = await world({env: {VAST_API_KEY: undefined}})
    const r = await w.run(['launch', 'demo', '--vast'])
    assert.equal(r.code, 4, r.stderr)
    assert.match(r.stderr, /no vast\.ai API key is configured.*vastai set api-key/)
    assert.deepEqual(
      commands(await w.calls()).filter((c) => c !== '--version'),
      [],
    )
    // nothing was started, so nothing is left: no run folder, no run record
    const [experiment] = (await fs.readdir(path.join(w.ws, 'experiments'))).filter((n) => n.endsWith('-demo'))
    assert.ok(
      !existsSync(path.join(w.ws, 'experiments', experiment, 'runs')) ||
        (await fs.readdir(path.join(w.ws, 'experiments', experiment, 'runs'))).length === 0,
    )
  })

  it('a key vast.ai refuses is exit 4 too, and the key is never in the error', async () => {
    w = await world({scenario: {valid_api_keys: ['some-other-key']}})
    const r = await w.run(['launch', 'demo', '--vast'])
    assert.equal(r.code, 4, r.stderr)
    assert.match(r.stderr, /refused the API key/)
    assert.ok(!r.stderr.includes(KEY) && !r.stdout.includes(KEY))
    const state = JSON.parse(await fs.readFile(path.join(w.home, 'state.json'), 'utf8'))
    assert.deepEqual(Object.keys(state.instances), [])
  })

  it('refuses a vastai older than 1.1.0 before calling anything else', async () => {
    w = await world({env: {FAKE_VAST_VERSION: '0.5.0'}})
    const r = await w.run(['launch', 'demo', '--vast'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /vastai 0\.5\.0 is too old.*pip install --upgrade vastai/)
    assert.deepEqual(commands(await w.calls()), ['--version'])
  })
})

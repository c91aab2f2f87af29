import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

// Tests of the fake `vastai` itself (test/support/fake-vastai): the contract's output shapes,
// exit codes and traps, as exp's vast backend will meet them.

const FAKE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'support', 'fake-vastai')
const ACCOUNT_KEY = 'acct-5f0e3c9d2b7a4e61a8c0d93b'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

interface VastOptions {
  /** the account key via VAST_API_KEY; null = no key anywhere */
  key?: string | null
  input?: string
  env?: Record<string, string | undefined>
}

let home = ''

function fakeEnv(options: VastOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_VAST_HOME: home,
    PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(home, 'xdg-config'),
    ...options.env,
  }
  delete env.VAST_API_KEY
  const key = options.key === undefined ? ACCOUNT_KEY : options.key
  if (key !== null) env.VAST_API_KEY = key
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  return env
}

/** Run `vastai ARGS` from PATH; stdin gets `input` then EOF (never a terminal). */
function vast(args: string[], options: VastOptions = {}): Run {
  const r = spawnSync('vastai', args, {
    encoding: 'utf8',
    env: fakeEnv(options),
    input: options.input ?? '',
    timeout: 20_000,
  })
  if (r.error) throw r.error
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

function vastAsync(args: string[], options: VastOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('vastai', args, {env: fakeEnv(options), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

function json(run: Run): any {
  try {
    return JSON.parse(run.stdout)
  } catch {
    assert.fail(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`)
  }
}

function calls(): Array<{argv: string[]; cmd: string | null; t: number}> {
  const file = path.join(home, 'calls.log')
  if (!fs.existsSync(file)) return []
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

function writeScenario(knobs: Record<string, unknown>): void {
  fs.writeFileSync(path.join(home, 'scenario.json'), JSON.stringify(knobs))
}

function create(offerId: number, extra: string[] = []): {id: number; key: string} {
  const r = vast([
    'create',
    'instance',
    String(offerId),
    '--image',
    'pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime',
    '--raw',
    ...extra,
  ])
  assert.equal(r.code, 0, r.stderr)
  const body = json(r)
  return {id: body.new_contract, key: body.instance_api_key}
}

function status(id: number): any {
  return json(vast(['show', 'instance', String(id), '--raw']))
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('fake vastai (test/support/fake-vastai)', function () {
  this.timeout(30_000)

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-vast-'))
  })

  afterEach(() => {
    // kill whatever onstart process groups a test left running, then remove the home
    try {
      const state = JSON.parse(fs.readFileSync(path.join(home, 'state.json'), 'utf8'))
      for (const inst of Object.values<any>(state.instances)) {
        if (inst.onstart_pid) {
          try {
            process.kill(-inst.onstart_pid, 'SIGKILL')
          } catch {}
        }
      }
    } catch {}
    fs.rmSync(home, {force: true, recursive: true})
  })

  describe('basics', () => {
    it('prints the bare version, overridable with FAKE_VAST_VERSION', () => {
      const r = vast(['--version'])
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '1.5.2\n', ''])
      assert.equal(vast(['--version'], {env: {FAKE_VAST_VERSION: '0.5.0'}}).stdout, '0.5.0\n')
    })

    it('fails loudly without FAKE_VAST_HOME, and argparse-style (exit 2) on unknown commands and flags', () => {
      const noHome = spawnSync('vastai', ['show', 'instances', '--raw'], {
        encoding: 'utf8',
        env: {...fakeEnv(), FAKE_VAST_HOME: ''},
      })
      assert.equal(noHome.status, 99)
      assert.match(noHome.stderr, /FAKE_VAST_HOME is not set/)
      const bad = vast(['frobnicate', 'instance'])
      assert.equal(bad.code, 2)
      assert.match(
        bad.stderr,
        /^usage: vastai .*\nvastai: error: argument command: invalid choice: 'frobnicate instance'/s,
      )
      const flag = vast(['show', 'instances', '--bogus'])
      assert.equal(flag.code, 2)
      assert.match(flag.stderr, /unrecognized arguments: --bogus/)
      const type = vast(['show', 'instance', 'abc'])
      assert.equal(type.code, 2)
      assert.match(type.stderr, /argument id: invalid int value: 'abc'/)
    })

    it('answers the 401 form (exit 0, stdout empty) when no key is found; search works anonymously', () => {
      const raw = vast(['show', 'instances', '--raw'], {key: null})
      assert.deepEqual(
        [raw.code, raw.stdout, raw.stderr],
        [0, '', '{"error": true, "status_code": 401, "msg": "Invalid user key"}\n'],
      )
      const text = vast(['create', 'instance', '18234567', '--image', 'x'], {key: null})
      assert.deepEqual([text.code, text.stdout, text.stderr], [0, '', 'Failed with error 401: Invalid user key\n'])
      const search = vast(['search', 'offers', '--raw'], {key: null})
      assert.equal(search.code, 0)
      assert.ok(json(search).length > 0)
      // the key file is honoured, and auth_error_as_404 turns the status into 404
      fs.mkdirSync(path.join(home, 'xdg-config', 'vastai'), {recursive: true})
      fs.writeFileSync(path.join(home, 'xdg-config', 'vastai', 'vast_api_key'), `${ACCOUNT_KEY}\n`)
      assert.equal(json(vast(['show', 'instances', '--raw'], {key: null})).length, 0)
      writeScenario({auth_error_as_404: true, valid_api_keys: [ACCOUNT_KEY]})
      assert.equal(vast(['show', 'instances'], {key: 'not-my-key'}).stderr, 'Failed with error 404: Invalid user key\n')
    })
  })

  describe('search offers', () => {
    it('prints Python json.dumps(indent=1, sort_keys=True) exactly, floats keeping their .0', () => {
      fs.writeFileSync(
        path.join(home, 'offers.json'),
        JSON.stringify([
          {
            id: 7,
            gpu_name: 'RTX 4090',
            num_gpus: 1,
            dph_total: 0.4,
            verified: true,
            rentable: true,
            external: false,
            cpu_cores_effective: 8.0,
            search: {totalHour: 0.4},
            geolocation: 'Sweden, SE',
            score: 3,
          },
          {
            id: 5,
            gpu_name: 'RTX 3090',
            num_gpus: 1,
            dph_total: 0.2,
            verified: true,
            rentable: true,
            external: false,
            cpu_cores_effective: 4.5,
            search: {totalHour: 0.2},
            geolocation: 'Norway, NO',
            score: 9,
          },
        ]),
      )
      const r = vast(['search', 'offers', 'gpu_name=RTX_4090', 'num_gpus=1', '--raw'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(
        r.stdout,
        [
          '[',
          ' {',
          '  "cpu_cores_effective": 8.0,',
          '  "dph_total": 0.4,',
          '  "external": false,',
          '  "geolocation": "Sweden, SE",',
          '  "gpu_name": "RTX 4090",',
          '  "id": 7,',
          '  "num_gpus": 1,',
          '  "rentable": true,',
          '  "score": 3.0,',
          '  "search": {',
          '   "totalHour": 0.4',
          '  },',
          '  "verified": true',
          ' }',
          ']',
          '',
        ].join('\n'),
      )
      assert.equal(vast(['search', 'offers', 'gpu_name=A100', '--raw']).stdout, '[]\n')
    })

    it('filters and orders the built-in offers with the query grammar', () => {
      const ids = (args: string[]) => {
        const r = vast(['search', 'offers', ...args, '--raw'])
        assert.equal(r.code, 0, r.stderr)
        return json(r).map((o: any) => o.id)
      }
      const all = json(vast(['search', 'offers', '-n', '--raw']))
      assert.ok(all.length >= 5)
      for (const o of all) {
        for (const k of [
          'id',
          'ask_contract_id',
          'gpu_name',
          'num_gpus',
          'dph_total',
          'reliability',
          'reliability2',
          'machine_id',
          'verified',
          'rentable',
          'gpu_ram',
          'cpu_ram',
          'search',
        ])
          assert.ok(k in o, k)
        assert.equal(o.id, o.ask_contract_id)
      }
      // default score- order, default filter hides the unverified offer; -n shows it
      const byScore = ids([])
      const scores = byScore.map((id: number) => all.find((o: any) => o.id === id).score)
      assert.deepEqual(
        scores,
        [...scores].sort((a: number, b: number) => b - a),
      )
      assert.equal(byScore.length, all.length - 1)
      assert.ok(all.some((o: any) => o.verified === false && !byScore.includes(o.id)))
      // dph+ ascending, dph- descending (dph is an alias of dph_total)
      const cheap = json(vast(['search', 'offers', '-o', 'dph+', '--raw'])).map((o: any) => o.dph_total)
      assert.deepEqual(
        cheap,
        [...cheap].sort((a: number, b: number) => a - b),
      )
      // gpu_ram is GB in queries, MB in the data; numeric, boolean, list and string (_ → space) filters
      for (const o of json(vast(['search', 'offers', 'gpu_ram>=40', '--raw']))) assert.ok(o.gpu_ram >= 40_000)
      assert.deepEqual(ids(['gpu_name=RTX_4090', 'num_gpus=1', '-o', 'dph+']), [18234567])
      assert.deepEqual(ids(['-n', 'gpu_name=RTX_4090 num_gpus=1 verified=false']), [20555111])
      assert.deepEqual(ids(['gpu_name in [RTX_3090,A100_SXM4]', '-o', 'dph-']), [19012345, 19876543])
      assert.deepEqual(ids(['geolocation=SE']), [18234567])
      assert.deepEqual(ids(['reliability>0.999', 'dph<20']), [20111222])
      assert.deepEqual(ids(['num_gpus!=1', '--limit', '1']), [20111222])
      // unknown field: a warning on stderr, still answered
      const warn = vast(['search', 'offers', 'bogus_field=3', '--raw'])
      assert.equal(warn.code, 0)
      assert.match(warn.stderr, /Warning: Unrecognized field: bogus_field, see list of recognized fields\./)
      assert.equal(json(warn).length, byScore.length)
      // parse errors: stdout "Error:  ...", exit 1
      const bad = vast(['search', 'offers', 'gpu_name~RTX', '--raw'])
      assert.equal(bad.code, 1)
      assert.equal(bad.stdout, "Error:  Unknown operator. Did you forget to quote your query? ''\n")
      assert.match(vast(['search', 'offers', 'num_gpus>', '--raw']).stdout, /^Error: {2}Value cannot be blank/)
    })
  })

  describe('create instance', () => {
    it('prints the create JSON and records the request (env parsed as the CLI does)', () => {
      const r = vast(
        [
          'create',
          'instance',
          '18234567',
          '--image',
          'pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime',
          '--disk',
          '40',
          '--label',
          'exp-r42',
          '--onstart-cmd',
          'bash /root/run.sh',
          '--env',
          '-e EXP_RUN_ID=r42 -e NOTE="a b" -p 8080:8080 junk',
          '--ssh',
          '--direct',
          '--raw',
          '--api-key',
          ACCOUNT_KEY,
        ],
        {key: null},
      )
      assert.equal(r.code, 0, r.stderr)
      assert.match(
        r.stdout,
        /^\{\n "instance_api_key": "[0-9a-f]{64}",\n "new_contract": \d+,\n "success": true\n\}\n$/,
      )
      const {new_contract: id} = json(r)
      assert.notEqual(id, 18234567)
      const row = status(id)
      assert.equal(row.actual_status, null)
      assert.deepEqual(row.extra_env, {'-p 8080:8080': '1', EXP_RUN_ID: 'r42', NOTE: 'a b'})
      assert.equal(row.label, 'exp-r42')
      assert.equal(row.onstart, 'bash /root/run.sh')
      assert.equal(row.image_uuid, 'pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime')
      assert.equal(row.image_runtype, 'ssh_direc ssh_proxy')
      assert.equal(row.machine_id, 34567)
      assert.equal(row.dph_total, 0.3569)
      assert.equal(row.ssh_port, null)
      const state = JSON.parse(fs.readFileSync(path.join(home, 'state.json'), 'utf8'))
      assert.equal(state.instances[id].owner, createHash('sha256').update(ACCOUNT_KEY).digest('hex').slice(0, 16))
      assert.equal(state.instances[id].disk, 40)
      // without --raw: the Python dict repr
      const text = vast(['create', 'instance', '18234601', '--image', 'x'])
      assert.match(
        text.stdout,
        /^Started\. \{'success': True, 'new_contract': \d+, 'instance_api_key': '[0-9a-f]{64}'\}\n$/,
      )
      // calls.log: one line per call, the key redacted
      const log = calls()
      assert.deepEqual(
        log.map((c) => c.cmd),
        ['create instance', 'show instance', 'create instance'],
      )
      assert.ok(log[0].argv.includes('***'))
      assert.ok(!fs.readFileSync(path.join(home, 'calls.log'), 'utf8').includes(ACCOUNT_KEY))
    })

    it('answers no_such_ask for vanished or unknown offers, and for an offer already rented', () => {
      writeScenario({vanish_offers: [18234567]})
      // a vanished offer is still listed (it vanishes between search and create)
      assert.ok(json(vast(['search', 'offers', '--raw'])).some((o: any) => o.id === 18234567))
      const raw = vast(['create', 'instance', '18234567', '--image', 'x', '--raw'])
      assert.deepEqual([raw.code, raw.stdout], [0, ''])
      assert.equal(
        raw.stderr,
        '{"error": true, "status_code": 404, "msg": "error 404/3603: no_such_ask Instance type by id 18234567 is not available."}\n',
      )
      const text = vast(['create', 'instance', '999', '--image', 'x'])
      assert.deepEqual(
        [text.code, text.stdout, text.stderr],
        [0, '', 'Failed with error 404: error 404/3603: no_such_ask Instance type by id 999 is not available.\n'],
      )
      create(18234601)
      assert.match(
        vast(['create', 'instance', '18234601', '--image', 'x']).stderr,
        /no_such_ask Instance type by id 18234601/,
      )
      assert.ok(!json(vast(['search', 'offers', '--raw'])).some((o: any) => o.id === 18234601))
    })

    it('answers 429 for the first rate-limited calls, then succeeds', () => {
      writeScenario({rate_limit: {command: 'create instance', times: 2}})
      for (const raw of [true, false]) {
        const r = vast(['create', 'instance', '18234567', '--image', 'x', ...(raw ? ['--raw'] : [])])
        assert.deepEqual([r.code, r.stdout], [0, ''])
        assert.equal(
          r.stderr,
          raw
            ? '{"error": true, "status_code": 429, "msg": "API requests too frequent endpoint threshold=4.5"}\n'
            : 'Failed with error 429: API requests too frequent endpoint threshold=4.5\n',
        )
      }
      assert.ok(json(vast(['show', 'instances', '--raw'])).length === 0)
      assert.ok(create(18234567).id > 0)
    })

    it('fails like the CLI on a missing --onstart file (traceback, exit 1) and a too-long onstart (400, exit 0)', () => {
      const missing = vast(['create', 'instance', '18234567', '--image', 'x', '--onstart', path.join(home, 'nope.sh')])
      assert.equal(missing.code, 1)
      assert.match(missing.stderr, /^Traceback \(most recent call last\):\n/)
      assert.match(missing.stderr, /FileNotFoundError: \[Errno 2\] No such file or directory: '.*nope\.sh'\n$/)
      const big = path.join(home, 'big.sh')
      fs.writeFileSync(big, 'echo x\n'.repeat(700))
      const long = vast(['create', 'instance', '18234567', '--image', 'x', '--onstart', big])
      assert.equal(long.code, 0)
      assert.match(long.stderr, /^Failed with error 400: invalid_args/)
      assert.equal(json(vast(['show', 'instances', '--raw'])).length, 0)
    })
  })

  describe('instance life', () => {
    it('goes null → loading → running, runs the onstart script for real, which stops itself', async () => {
      const script = path.join(home, 'job.sh')
      fs.writeFileSync(
        script,
        [
          'echo "job $CONTAINER_ID starting"',
          'echo "result for $EXP_RUN_ID" > "$DATA_DIRECTORY/result.txt"',
          'env > "$DATA_DIRECTORY/env.txt"',
          '',
          'echo',
          'echo "job done, stopping"',
          'vastai stop instance $CONTAINER_ID --api-key $CONTAINER_API_KEY',
          'echo "never printed: the stop kills the container"',
          '',
        ].join('\n'),
      )
      const {id, key} = create(18234567, ['--onstart', script, '--env', '-e EXP_RUN_ID=r42', '--label', 'exp-r42'])
      assert.equal(status(id).actual_status, null)
      assert.equal(status(id).actual_status, 'loading')
      const running = status(id)
      assert.equal(running.actual_status, 'running')
      assert.equal(running.intended_status, 'running')
      assert.equal(typeof running.ssh_port, 'number')
      assert.equal(running.ports['22/tcp'][0].HostIp, '0.0.0.0')

      const stopped = await waitFor('the instance to stop itself', () => {
        const row = status(id)
        return row.actual_status === 'running' ? undefined : row
      })
      assert.equal(stopped.actual_status, 'exited')
      assert.equal(stopped.intended_status, 'stopped')
      assert.equal(stopped.cur_state, 'stopped')

      const root = path.join(home, 'instances', String(id), 'root')
      assert.equal(fs.readFileSync(path.join(root, 'workspace', 'result.txt'), 'utf8'), 'result for r42\n')
      const env = fs.readFileSync(path.join(root, 'workspace', 'env.txt'), 'utf8')
      assert.match(env, new RegExp(`^CONTAINER_ID=${id}$`, 'm'))
      assert.match(env, new RegExp(`^CONTAINER_API_KEY=${key}$`, 'm'))
      assert.match(env, new RegExp(`^VAST_CONTAINERLABEL=C\\.${id}$`, 'm'))
      assert.match(env, new RegExp(`^DATA_DIRECTORY=${root}/workspace/$`, 'm'))
      assert.match(env, /^GPU_COUNT=1$/m)
      assert.match(env, /^PUBLIC_IPADDR=203\.0\.113\.42$/m)
      assert.match(env, new RegExp(`^PATH=${FAKE_DIR}:`, 'm'))
      assert.doesNotMatch(env, /^VAST_API_KEY=/m)
      assert.ok(!env.includes(ACCOUNT_KEY), 'the account key leaked into the instance')

      // the script's own stop call was authenticated with the instance key, redacted in calls.log
      const stop = calls().find((c) => c.cmd === 'stop instance')
      assert.deepEqual(stop?.argv, ['stop', 'instance', String(id), '--api-key', '***'])
      const log = fs.readFileSync(path.join(home, 'calls.log'), 'utf8')
      assert.ok(!log.includes(ACCOUNT_KEY) && !log.includes(key))

      // logs: the container log, blank lines collapsed
      const logs = vast(['logs', String(id)])
      assert.equal(logs.code, 0)
      assert.equal(logs.stdout, `job ${id} starting\njob done, stopping\nstopping instance ${id}.\n\n`)
      assert.equal(vast(['logs', String(id), '--tail', '1']).stdout, `stopping instance ${id}.\n\n`)
    })

    it('honours stuck_loading, exit_without_finishing and polls_per_state per instance', () => {
      writeScenario({
        polls_per_state: 2,
        per_instance: {'1': {stuck_loading: true}, '2': {exit_without_finishing: true}},
      })
      const a = create(18234567).id
      const b = create(18234601).id
      const seen: Record<number, Array<string | null>> = {[a]: [], [b]: []}
      for (let i = 0; i < 6; i++)
        for (const row of json(vast(['show', 'instances', '--raw']))) seen[row.id].push(row.actual_status)
      assert.deepEqual(seen[a], [null, null, 'loading', 'loading', 'loading', 'loading'])
      assert.deepEqual(seen[b], [null, null, 'loading', 'loading', 'running', 'exited'])
      assert.deepEqual(json(vast(['show', 'instances', '--label', 'nope', '--raw'])), [])
    })

    it('accepts an instance key only for its own instance', () => {
      const a = create(18234567)
      const b = create(18234601)
      const other = vast(['stop', 'instance', String(b.id), '--api-key', a.key])
      assert.deepEqual([other.code, other.stdout, other.stderr], [0, '', 'Failed with error 401: Invalid user key\n'])
      assert.equal(
        vast(['show', 'instances', '--raw'], {key: a.key}).stderr,
        '{"error": true, "status_code": 401, "msg": "Invalid user key"}\n',
      )
      const own = vast(['stop', 'instance', String(a.id), '--api-key', a.key], {key: null})
      assert.deepEqual([own.code, own.stdout], [0, `stopping instance ${a.id}.\n`])
      assert.equal(status(a.id).intended_status, 'stopped')
      assert.equal(vast(['start', 'instance', String(a.id)]).stdout, `starting instance ${a.id}.\n`)
      assert.equal(status(a.id).actual_status, 'loading')
    })

    it('destroy without -y asks, aborts on EOF or anything but y; with -y the instance is gone', () => {
      const {id} = create(18234567)
      const prompt = `Are you sure you want to destroy instance ${id}? This is irreversible and will delete all data. [y/N] `
      const eof = vast(['destroy', 'instance', String(id)])
      assert.deepEqual([eof.code, eof.stdout], [0, `${prompt}\nAborted.\n`])
      const no = vast(['destroy', 'instance', String(id)], {input: 'n\n'})
      assert.deepEqual([no.code, no.stdout], [0, `${prompt}Aborted.\n`])
      assert.equal(json(vast(['show', 'instances', '--raw'])).length, 1)

      const yes = vast(['destroy', 'instance', String(id), '-y'])
      assert.deepEqual([yes.code, yes.stdout, yes.stderr], [0, `destroying instance ${id}.\n`, ''])
      assert.deepEqual(json(vast(['show', 'instances', '--raw'])), [])
      const gone = vast(['show', 'instance', String(id), '--raw'])
      assert.deepEqual([gone.code, gone.stdout], [0, '{\n "instances": null\n}\n'])
      const text = vast(['show', 'instance', String(id)])
      assert.deepEqual([text.code, text.stderr], [1, `Instance ${id} not found or no longer exists.\n`])
      assert.match(vast(['logs', String(id)]).stderr, /^Failed with error 404: /)
      // the offer is back on the market
      assert.ok(create(18234567).id > id)
    })
  })

  describe('copy', () => {
    it('copies to and from a running instance with rsync semantics, exit 0 even when the source is missing', () => {
      const {id} = create(18234567)
      for (let i = 0; i < 3; i++) status(id)
      const local = path.join(home, 'local')
      fs.mkdirSync(path.join(local, 'data', 'sub'), {recursive: true})
      fs.writeFileSync(path.join(local, 'data', 'a.txt'), 'A')
      fs.writeFileSync(path.join(local, 'data', 'sub', 'b.txt'), 'B')
      const root = path.join(home, 'instances', String(id), 'root')

      const up = vast(['copy', `local:${path.join(local, 'data')}/`, `C.${id}:/workspace/in/`])
      assert.equal(up.code, 0, up.stderr)
      const lines = up.stdout.split('\n')
      assert.equal(lines[0], `copying local:${path.join(local, 'data')}/ C.${id}:/workspace/in/`)
      assert.match(
        lines[1],
        new RegExp(
          `^rsync -arz -v --progress --rsh=ssh -e ssh -p \\d+ -o StrictHostKeyChecking=no .*/data/ vastai_kaalia@[\\d.]+::C\\.${id}//workspace/in/$`,
        ),
      )
      assert.equal(fs.readFileSync(path.join(root, 'workspace', 'in', 'sub', 'b.txt'), 'utf8'), 'B')

      // without a trailing slash the directory itself is copied (rsync), into an existing dir
      assert.equal(vast(['copy', path.join(local, 'data'), `${id}:/workspace/`]).code, 0)
      assert.equal(fs.readFileSync(path.join(root, 'workspace', 'data', 'a.txt'), 'utf8'), 'A')

      // instance → local: the destination is created first (os.makedirs), files land inside it
      fs.writeFileSync(path.join(root, 'workspace', 'result.json'), '{"ok": true}')
      const down = vast(['copy', `${id}:/workspace/result.json`, path.join(local, 'out')])
      assert.equal(down.code, 0, down.stderr)
      assert.equal(fs.readFileSync(path.join(local, 'out', 'result.json'), 'utf8'), '{"ok": true}')
      assert.equal(vast(['copy', `C.${id}:/workspace/in/`, `local:${path.join(local, 'back')}`]).code, 0)
      assert.equal(fs.readFileSync(path.join(local, 'back', 'sub', 'b.txt'), 'utf8'), 'B')

      // a missing source: rsync's complaint on stderr, nothing copied, exit 0 all the same
      const missing = vast(['copy', `${id}:/workspace/nope`, path.join(local, 'empty')])
      assert.equal(missing.code, 0)
      assert.match(missing.stderr, /rsync: \[sender\] link_stat "\/workspace\/nope".*No such file or directory/)
      assert.deepEqual(fs.readdirSync(path.join(local, 'empty')), [])
      const missingUp = vast(['copy', path.join(local, 'nope'), `${id}:/workspace/x/`])
      assert.equal(missingUp.code, 0)
      assert.ok(!fs.existsSync(path.join(root, 'workspace', 'x')))
    })

    it('cannot reach an instance whose container never started', () => {
      const {id} = create(18234567)
      const local = path.join(home, 'f.txt')
      fs.writeFileSync(local, 'x')
      const r = vast(['copy', local, `${id}:/workspace/`])
      assert.equal(r.code, 0)
      assert.match(r.stderr, /Connection refused/)
      assert.ok(!fs.existsSync(path.join(home, 'instances', String(id), 'root', 'workspace', 'f.txt')))
    })
  })

  it('keeps a consistent state under concurrent calls', async () => {
    writeScenario({reuse_offers: true})
    const runs = await Promise.all(
      Array.from({length: 8}, () => vastAsync(['create', 'instance', '18234567', '--image', 'x', '--raw'])),
    )
    const ids = runs.map((r) => json(r).new_contract)
    assert.equal(new Set(ids).size, 8)
    assert.equal(json(vast(['show', 'instances', '--raw'])).length, 8)
    assert.equal(calls().length, 9)
  })
})

import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {apiKeySource, classifyFailure, findFailure, VastCli, versionAtLeast} from '../../src/backends/vast/cli.js'

describe("vast cli: reading vastai's answers", () => {
  it('finds the --raw error line on stderr, whatever stdout holds', () => {
    const f = findFailure({
      stderr:
        '{"error": true, "status_code": 404, "msg": "error 404/3603: no_such_ask Instance type by id 1 is not available."}\n',
      stdout: '',
    })
    assert.deepEqual(f, {msg: 'error 404/3603: no_such_ask Instance type by id 1 is not available.', status: 404})
    assert.equal(classifyFailure(f!, 'create').kind, 'offer-gone')
  })

  it('finds the plain and the legacy forms too', () => {
    assert.deepEqual(findFailure({stderr: 'Failed with error 401: Invalid user key\n', stdout: ''}), {
      msg: 'Invalid user key',
      status: 401,
    })
    assert.deepEqual(findFailure({stderr: '', stdout: 'failed with error 429: API requests too frequent\n'}), {
      msg: 'API requests too frequent',
      status: 429,
    })
    assert.equal(
      findFailure({stderr: 'Warning: Unrecognized field: foo, see list of recognized fields.\n', stdout: '[]\n'}),
      undefined,
    )
  })

  it('classifies auth (401, and 404 with auth_error), offer gone (3603/410), rate limit and the rest', () => {
    const kind = (status: number, msg: string) => classifyFailure({msg, status}, 'x').kind
    assert.equal(kind(401, 'Invalid user key'), 'auth')
    assert.equal(kind(404, 'auth_error: Invalid user key'), 'auth')
    assert.equal(kind(404, 'Invalid user key'), 'auth')
    assert.equal(kind(410, 'error 410/3603: no_such_ask Instance type by id 5 is no longer available.'), 'offer-gone')
    assert.equal(kind(429, 'API requests too frequent endpoint threshold=4.5'), 'rate-limit')
    assert.equal(kind(404, 'no_such_instance: Instance 9 not found.'), 'not-found')
    assert.equal(kind(500, '(no detail message supplied)'), 'server')
    const auth = classifyFailure({msg: 'Invalid user key', status: 401}, 'x')
    assert.equal(auth.exit, 4)
    assert.match(auth.oneLine, /vastai set api-key .*VAST_API_KEY/)
  })

  it('compares versions numerically', () => {
    assert.ok(versionAtLeast('1.5.2', '1.1.0'))
    assert.ok(versionAtLeast('1.1.0', '1.1.0'))
    assert.ok(versionAtLeast('1.10.0', '1.9.9'))
    assert.ok(!versionAtLeast('1.0.9', '1.1.0'))
    assert.ok(!versionAtLeast('0.5.0', '1.1.0'))
    assert.ok(!versionAtLeast('garbage', '1.1.0'))
  })
})

describe('vast cli: is a key configured (without reading it)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-vast-key-'))
  })
  afterEach(() => fs.rm(dir, {force: true, recursive: true}))

  it('VAST_API_KEY wins, and an empty one means none (as vastai treats it)', async () => {
    await fs.mkdir(path.join(dir, 'xdg', 'vastai'), {recursive: true})
    await fs.writeFile(path.join(dir, 'xdg', 'vastai', 'vast_api_key'), 'k')
    assert.equal(apiKeySource({HOME: dir, VAST_API_KEY: 'abc', XDG_CONFIG_HOME: path.join(dir, 'xdg')}), 'VAST_API_KEY')
    assert.equal(apiKeySource({HOME: dir, VAST_API_KEY: '', XDG_CONFIG_HOME: path.join(dir, 'xdg')}), undefined)
  })

  it('finds the key file under XDG_CONFIG_HOME, else ~/.config, and not an empty one', async () => {
    assert.equal(apiKeySource({HOME: dir}), undefined)
    await fs.mkdir(path.join(dir, '.config', 'vastai'), {recursive: true})
    await fs.writeFile(path.join(dir, '.config', 'vastai', 'vast_api_key'), '')
    assert.equal(apiKeySource({HOME: dir}), undefined)
    await fs.writeFile(path.join(dir, '.config', 'vastai', 'vast_api_key'), 'k\n')
    assert.equal(apiKeySource({HOME: dir}), path.join(dir, '.config', 'vastai', 'vast_api_key'))
    assert.equal(apiKeySource({HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'elsewhere')}), undefined)
  })
})

describe('vast cli: the runner', () => {
  let dir: string
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-vast-cli-'))
  })
  afterEach(() => fs.rm(dir, {force: true, recursive: true}))

  /** A stand-in vastai: prints what the script says, one answer per call (counted in a file). */
  async function stub(answers: Array<{stdout?: string; stderr?: string; code?: number}>): Promise<string> {
    const file = path.join(dir, 'vastai')
    const n = path.join(dir, 'n')
    for (const [i, a] of answers.entries()) {
      await fs.writeFile(path.join(dir, `out${i}`), a.stdout ?? '')
      await fs.writeFile(path.join(dir, `err${i}`), a.stderr ?? '')
    }
    const cases = answers
      .map((a, i) => `  ${i}) cat ${dir}/out${i}; cat ${dir}/err${i} >&2; exit ${a.code ?? 0};;`)
      .join('\n')
    await fs.writeFile(
      file,
      `#!/bin/bash\nn=$(cat ${n} 2>/dev/null || echo 0)\necho $((n + 1)) > ${n}\necho "$*" >> ${dir}/argv\ncase $n in\n${cases}\n  *) exit 0;;\nesac\n`,
      {mode: 0o755},
    )
    return file
  }

  it('judges success from stdout JSON, retries a 429 after a pause, and never trusts exit 0 alone', async () => {
    const waits: number[] = []
    const command = await stub([
      {stderr: '{"error": true, "status_code": 429, "msg": "API requests too frequent endpoint threshold=4.5"}\n'},
      {stdout: '{\n "instance_api_key": "abc",\n "new_contract": 23456789,\n "success": true\n}\n'},
      {
        stderr:
          '{"error": true, "status_code": 404, "msg": "error 404/3603: no_such_ask Instance type by id 7 is not available."}\n',
      },
      {stdout: '{"success": false, "msg": "odd"}'},
    ])
    const cli = new VastCli({command, env: {PATH: process.env.PATH}, sleep: async (ms) => void waits.push(ms)})
    assert.equal(await cli.createInstance(['create', 'instance', '7'], 7), 23456789)
    assert.deepEqual(waits, [2000])
    await assert.rejects(cli.createInstance(['create', 'instance', '7'], 7), (e: any) => e.kind === 'offer-gone')
    await assert.rejects(
      cli.createInstance(['create', 'instance', '7'], 7),
      (e: any) => e.kind === 'server' && /odd/.test(e.message),
    )
    const argv = (await fs.readFile(path.join(dir, 'argv'), 'utf8')).trim().split('\n')
    assert.deepEqual(argv[0], 'create instance 7 --raw')
  })

  it('destroy needs the confirmation line; copy reports rsync trouble that exit 0 hides', async () => {
    const command = await stub([
      {stdout: 'destroying instance 5.\n'},
      {stdout: 'Are you sure? [y/N] \nAborted.\n'},
      {stderr: '{"error": true, "status_code": 404, "msg": "no_such_instance: Instance 6 not found."}\n'},
      {
        stderr:
          'rsync: [sender] link_stat "/workspace/x/out/status/" failed: No such file or directory (2)\nrsync error: some files/attrs were not transferred (code 23)\n',
        stdout: 'copying 5:/x .\n',
      },
    ])
    const cli = new VastCli({command, env: {PATH: process.env.PATH}})
    assert.equal(await cli.destroyInstance(5), true)
    await assert.rejects(cli.destroyInstance(5), /did not confirm/)
    assert.equal(await cli.destroyInstance(6), false)
    const copied = await cli.copy('5:/x/', 'y/', dir, 1000)
    assert.equal(copied.missing, true)
    assert.match(copied.rsyncError!, /link_stat/)
    const argv = (await fs.readFile(path.join(dir, 'argv'), 'utf8')).trim().split('\n')
    assert.deepEqual(argv.slice(0, 3), ['destroy instance 5 -y', 'destroy instance 5 -y', 'destroy instance 6 -y'])
  })

  it("blanks the account key out of any message built from vastai's output", async () => {
    const command = await stub([{stderr: 'Traceback …\nValueError: bad key sekrit-key-123\n', code: 1}])
    const cli = new VastCli({command, env: {PATH: process.env.PATH, VAST_API_KEY: 'sekrit-key-123'}})
    await assert.rejects(
      cli.showInstances(),
      (e: Error) => !e.message.includes('sekrit-key-123') && /\*\*\*/.test(e.message),
    )
  })

  it('says how to install vastai when it is missing', async () => {
    const cli = new VastCli({command: path.join(dir, 'no-such-vastai'), env: {PATH: process.env.PATH}})
    await assert.rejects(cli.checkVersion(), (e: any) => e.kind === 'missing' && /pip install vastai/.test(e.oneLine))
  })
})

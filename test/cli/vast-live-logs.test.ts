import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, EXP_BIN, inProcess, removeDir, ROOT, tempDir} from '../support/exp.js'

const FAKE_DIR = path.join(ROOT, 'test', 'support', 'fake-vastai')

/**
 * Live logs from a remote run (issue 20): `exp logs NAME` of a live vast run shows what the instance printed so far
 * (`vastai logs ID --tail N`, the shared vast contract), and `--follow` polls it at the backend's poll_interval.
 */
describe('exp logs of a live vast run (fake vastai)', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let root: string
  let ws: string
  let home: string
  let env: Record<string, string | undefined>

  before(async () => {
    root = await tempDir('exp-vast-logs-')
    ws = path.join(root, 'ws')
    home = path.join(root, 'fake-vast')
    await fs.mkdir(home, {recursive: true})
    // the instance stays in `loading`: the run stays live while the test writes its container log
    await fs.writeFile(path.join(home, 'scenario.json'), JSON.stringify({polls_per_state: 100_000}))
    env = {
      FAKE_VAST_HOME: home,
      PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: 'acct-KEY-live-logs',
      XDG_CONFIG_HOME: path.join(root, 'xdg'),
    }
    assert.equal((await exp(['init', ws], {cwd: root, env})).code, 0)
    await fs.appendFile(path.join(ws, 'exp.yaml'), 'backends:\n  vast:\n    poll_interval: 0.2\n')
    assert.equal((await exp(['new', 'demo'], {cwd: ws, env})).code, 0)
  })
  after(async () => {
    await exp(['cancel', 'demo', '--yes'], {cwd: ws, env})
    await removeDir(root)
  })

  async function instanceId(): Promise<number> {
    const dir = path.join(
      ws,
      'experiments',
      (await fs.readdir(path.join(ws, 'experiments'))).find((n) => n.endsWith('-demo'))!,
      'runs',
    )
    const [run] = await fs.readdir(dir)
    return JSON.parse(await fs.readFile(path.join(dir, run, 'run.json'), 'utf8')).backend_data.instance_id
  }
  const containerLog = async () => path.join(home, 'instances', String(await instanceId()), 'container.log')

  it("shows the instance's output so far, through vastai logs ID --tail N", async () => {
    const launched = await exp(['launch', 'demo', '--vast', '--detach'], {cwd: ws, env})
    assert.equal(launched.code, 0, launched.stderr)
    const id = await instanceId()
    await fs.appendFile(await containerLog(), 'epoch 1 loss 0.52\nepoch 2 loss 0.41\n')
    const r = await exp(['logs', 'demo'], {cwd: ws, env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      new RegExp(
        `==> vast instance ${id} \\(live; vastai logs --tail\\) <==\\nepoch 1 loss 0\\.52\\nepoch 2 loss 0\\.41\\n`,
      ),
    )
    const calls = (await fs.readFile(path.join(home, 'calls.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).argv)
    assert.ok(
      calls.some((argv: string[]) => argv.join(' ') === `logs ${id} --tail 200`),
      JSON.stringify(calls),
    )
    const json = JSON.parse((await exp(['logs', 'demo', '--json'], {cwd: ws, env})).stdout)
    assert.deepEqual(json.remote, {instance_id: id, text: 'epoch 1 loss 0.52\nepoch 2 loss 0.41'})
  })

  it("--follow prints new output at the backend's interval, each line once, until the run ends", async () => {
    const child = execa(process.execPath, [EXP_BIN, 'logs', 'demo', '--follow'], {
      cwd: ws,
      env: {...env, EXP_ROOT: undefined},
      reject: false,
      timeout: 50_000,
    })
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    const until = async (pattern: RegExp) => {
      while (!pattern.test(out)) {
        if (child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${out}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    await until(/epoch 2 loss 0\.41\n/)
    await fs.appendFile(await containerLog(), 'epoch 3 loss 0.33\n')
    await until(/epoch 3 loss 0\.33\n/)
    const cancel = await exp(['cancel', 'demo', '--yes'], {cwd: ws, env})
    assert.equal(cancel.code, 0, cancel.stderr)
    const done = await child
    assert.equal(done.exitCode, 0, done.stderr)
    for (const line of ['epoch 1 loss 0.52', 'epoch 2 loss 0.41', 'epoch 3 loss 0.33'])
      assert.equal(out.split(line).length - 1, 1, `${line} once:\n${out}`)
  })
})

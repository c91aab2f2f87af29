import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, exp, expJson, inProcess, removeDir, requireTool, tempWorkspace} from '../support/exp.js'
import {waitFor} from '../support/slurm.js'
import {installSweepEngine} from '../support/sweep-engine.js'

/** `exp launch SWEEP` on the local backend: at most --jobs engines alive, each variant a single run, resumable. */
describe('exp launch on a sweep (local)', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  before(async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    await installSweepEngine(ws)
  })
  after(() => removeDir(ws))

  const grid = async (name: string, values: string) => {
    const r = await exp(
      ['new', name, '--grid', `model.latent_dim=${values}`, '--grid', 'training.epochs=1,2', '--date', '2025-03-01'],
      {cwd: ws},
    )
    assert.equal(r.code, 0, r.stderr)
    return path.join(ws, 'experiments', `2025-03-01-${name}`)
  }
  /** the engines of this workspace alive now, from the process table */
  // one line per engine: a python shim (pyenv) runs the engine through child processes with the same arguments
  const engineLines = async () => {
    const lines = (await execa('ps', ['-eo', 'pid,ppid,stat,args'])).stdout
      .split('\n')
      .filter((l) => l.includes(path.join(ws, 'sweep_engine.py')))
    const pids = new Set(lines.map((l) => l.trim().split(/\s+/)[0]))
    return lines.filter((l) => !pids.has(l.trim().split(/\s+/)[1]))
  }
  const engines = async () => (await engineLines()).length
  const reports = async (dir: string) => {
    let n = 0
    for (const v of await fs.readdir(dir))
      if (existsSync(path.join(dir, v, 'reports'))) n += (await fs.readdir(path.join(dir, v, 'reports'))).length
    return n
  }

  it('--jobs 2 over 4 variants: never more than 2 engines at once, 4 reports, and a relaunch skips them all', async () => {
    const dir = await grid('pool', '8,16')
    const launch = execa(process.execPath, [EXP_BIN, 'launch', 'pool', '--jobs', '2'], {
      cwd: ws,
      env: {ENGINE_SLEEP: '0.6'},
      reject: false,
    })
    let most = 0
    let samples = 0
    let seen: string[] = []
    while (launch.exitCode === null) {
      const lines = await engineLines()
      if (lines.length > most) seen = lines
      most = Math.max(most, lines.length)
      samples++
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const r = await launch
    assert.equal(r.exitCode, 0, String(r.stderr))
    assert.ok(samples >= 10, `sampled the process table ${samples} times`)
    assert.equal(most, 2, `at most 2 engines alive at once (saw ${most}):\n${seen.join('\n')}`)
    assert.match(String(r.stdout), /\d running, \d done, \d queued/)
    assert.match(String(r.stdout), /4 variant\(s\) launched on local \(0 skipped\): 4 completed/)
    assert.equal(await reports(dir), 4)
    const run = JSON.parse(
      await fs.readFile(
        path.join(
          dir,
          'latent-dim8_epochs1',
          'runs',
          (await fs.readdir(path.join(dir, 'latent-dim8_epochs1', 'runs')))[0],
          'run.json',
        ),
        'utf8',
      ),
    )
    assert.match(run.config_sha256, /^[0-9a-f]{64}$/)

    const again = await expJson(['launch', 'pool', '--jobs', '2'], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(
      again.json.variants.map((v: any) => v.action),
      ['skip', 'skip', 'skip', 'skip'],
    )
    assert.equal(await reports(dir), 4, 'nothing ran again')
  })

  it('Ctrl-C interrupts every running variant (exit 130); the relaunch runs only what did not complete', async () => {
    const dir = await grid('stop', '4,8')
    const launch = execa(process.execPath, [EXP_BIN, 'launch', 'stop', '--jobs', '2'], {
      cwd: ws,
      env: {ENGINE_SLEEP: '30'},
      reject: false,
    })
    await waitFor('2 engines to run', async () => (await engines()) === 2)
    launch.kill('SIGINT')
    const r = await launch
    assert.equal(r.exitCode, 130, String(r.stdout) + String(r.stderr))
    await waitFor('every engine to be gone', async () => (await engines()) === 0, 10_000)
    const listed = await expJson(['list', '--variants'], {cwd: ws})
    const states = listed.json.variants.filter((v: any) => v.experiment.endsWith('-stop'))
    assert.equal(states.filter((v: any) => v.runs === 1).length, 2, 'two variants started, two never did')

    const again = await expJson(['launch', 'stop', '--jobs', '2'], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(
      again.json.variants.map((v: any) => v.action),
      ['launch', 'launch', 'launch', 'launch'],
    )
    assert.equal(await reports(dir), 4)
    const last = await expJson(['launch', 'stop'], {cwd: ws})
    assert.deepEqual(
      last.json.variants.map((v: any) => v.action),
      ['skip', 'skip', 'skip', 'skip'],
    )
  })
})

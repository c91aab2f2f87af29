import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, promises as fs, readdirSync, readFileSync, readlinkSync, statfsSync} from 'node:fs'
import path from 'node:path'

import {age, exp, EXP_BIN, makeExperiment, removeDir, tempDir, treeSnapshot} from '../support/exp.js'

/**
 * A full disk (and a read-only one), on a real small tmpfs mounted by the test: launch, promote, archive and new
 * each fail in one line, leave nothing half-written (no temporary files, no half a run folder) and no engine
 * running; read-only commands still list. Mounting needs root: skipped with a message otherwise (CI runs as root).
 */
const isRoot = process.getuid?.() === 0

function oneLineDiskFull(r: {code: number; stderr: string}): void {
  assert.notEqual(r.code, 0, 'succeeded on a full disk')
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line: ${r.stderr}`)
  assert.match(lines[0], /^Error: .*disk full/)
  assert.doesNotMatch(lines[0], /this is a bug|Unhandled/)
}

/** Fill the filesystem holding `dir` to the last byte. */
async function fill(dir: string): Promise<void> {
  const handle = await fs.open(path.join(dir, 'filler'), 'a')
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 1)
      for (;;) {
        try {
          await handle.write(chunk)
        } catch {
          break
        }
      }
    }
  } finally {
    await handle.close().catch(() => {})
  }
}

/** Processes working inside `dir` (the engines exp started there, and anything they started). */
function processesIn(dir: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir + path.sep)) out.push(Number(pid))
    } catch {}
  }
  return out
}

/** True once a `sleep` runs inside `dir` (the engine got past filling the disk). */
function sleepingIn(dir: string): boolean {
  return processesIn(dir).some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep'
    } catch {
      return false
    }
  })
}

function tempFiles(dir: string): string[] {
  return (readdirSync(dir, {recursive: true}) as string[]).filter((f) => /\.tmp$/.test(f))
}

async function until(done: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('disk full and read-only filesystems (a real tmpfs)', function () {
  this.timeout(120_000)
  let mnt: string | undefined
  let ws: string

  before(function () {
    if (!isRoot) {
      console.log('      (skipped: mounting a tmpfs needs root; CI runs these as root)')
      this.skip()
    }
  })

  beforeEach(async () => {
    mnt = await tempDir('exp-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt])
    ws = path.join(mnt, 'ws')
    assert.equal((await exp(['init', ws], {cwd: mnt})).code, 0)
    const engines = [
      'engines:',
      '  train: [sh, -c, "head -c 8000000 /dev/zero > fill; echo trained"]',
      '  evaluate: [sh, -c, "sleep 60; echo evaluated"]',
    ]
    await fs.appendFile(path.join(ws, 'exp.yaml'), engines.join('\n') + '\n')
    await makeExperiment(ws, '2025-01-22-good', {
      'reports/eval.json': {final_loss: 0.5, final_nrmse: 0.05, gates_passed: true},
    })
    await age(await makeExperiment(ws, '2024-06-01-old'), 45)
    await fs.mkdir(path.join(ws, '.exp'), {recursive: true}) // a workspace in use has its state folder
  })

  afterEach(async () => {
    for (const pid of processesIn(mnt!)) process.kill(pid, 'SIGKILL')
    if (mnt) {
      execFileSync('umount', ['-l', mnt])
      await removeDir(mnt)
    }
    mnt = undefined
  })

  it('new, archive, promote and launch on a full disk: one line each, nothing written, read-only commands still list', async () => {
    await fill(mnt!)
    const before = await treeSnapshot(ws)
    oneLineDiskFull(await exp(['new', 'fresh'], {cwd: ws}))
    oneLineDiskFull(await exp(['archive', 'old', '--yes'], {cwd: ws}))
    oneLineDiskFull(await exp(['promote', 'good', '--auto-promote'], {cwd: ws}))
    oneLineDiskFull(await exp(['launch', 'good'], {cwd: ws}))
    assert.deepEqual(await treeSnapshot(ws), before, 'something was written or left behind')
    assert.deepEqual(processesIn(mnt!), [])
    const list = await exp(['list'], {cwd: ws})
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /good/)
  })

  it('launch: an engine that fills the disk: one line, no evaluate started, no temporary files; runs still lists', async () => {
    const r = await exp(['launch', 'good'], {cwd: ws})
    oneLineDiskFull(r)
    assert.deepEqual(processesIn(mnt!), [], 'an engine was left running')
    assert.deepEqual(tempFiles(ws), [])
    const runs = await exp(['runs', 'good'], {cwd: ws})
    assert.equal(runs.code, 0, runs.stderr)
  })

  it("launch: an engine that fills the disk and frees a few KB before it fails: exp's records fit, and still it says disk full", async () => {
    // what a rename of exp's own run.json landing after the engine filled the disk does (it frees the old copy's
    // block), made certain: before, the run then failed as "train exited with code 1", the full disk unnamed
    const yaml = path.join(ws, 'exp.yaml')
    // it fills the disk once exp has recorded its start (else exp's own next write meets the full disk first), and
    // frees 32 KB: room for exp's end-of-stage records (run.json's temporary copy beside the old one, launch.log's
    // lines), still under the 64 KB exp calls full. The pattern is written so that it does not match its own text:
    // launch.log's queued entry lists each stage's command, this script included, so a plain 'TRAIN: started'
    // matched as soon as the engine began, and on a loaded machine exp's own record of the start met the full disk
    const started = "until grep -qs 'TRAIN[:] started' runs/*/launch.log; do sleep 0.01; done"
    const train = `${started}; head -c 32768 /dev/zero > spare; head -c 8000000 /dev/zero > fill; rm spare; exit 1`
    await fs.writeFile(
      yaml,
      (await fs.readFile(yaml, 'utf8')).replace(/train: \[sh, -c, ".*"\]/, `train: [sh, -c, "${train}"]`),
    )
    const r = await exp(['launch', 'good'], {cwd: ws})
    oneLineDiskFull(r)
    assert.match(r.stderr, /train exited with code 1 \(disk full: \d+ KB free\)/)
    const runs = await exp(['runs', 'good', '--json'], {cwd: ws})
    assert.equal(runs.code, 0, runs.stderr)
    assert.match(runs.stdout, /disk full/, 'the reason is in the run record')
  })

  it('launch: interrupted while the disk is full: the engine is stopped, one line, no orphan', async () => {
    const yaml = path.join(ws, 'exp.yaml')
    await fs.writeFile(yaml, (await fs.readFile(yaml, 'utf8')).replace('echo trained', 'sleep 60; echo trained'))
    const child = spawn(process.execPath, [EXP_BIN, 'launch', 'good'], {
      cwd: ws,
      env: {...process.env, EXP_ROOT: undefined},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
    // the engine has filled the disk (head stopped: 8 MB never fit in 3) and sleeps, or exp has already stopped the
    // run by itself (its own write of the run record came after the engine filled the disk). Not "no block free":
    // exp's atomic replace of run.json frees the old copy's block when the rename lands after the engine filled the
    // disk, and the wait for 0 free blocks then never ended (the timeouts of loaded full runs); so once the engine
    // sleeps the test fills what is left itself, and the Ctrl-C always meets a full disk
    const ended = () => child.exitCode !== null || child.signalCode !== null
    await until(() => ended() || sleepingIn(mnt!)).catch((error) => {
      const seen = `exit ${child.exitCode}, ${statfsSync(mnt!).bavail} blocks free, processes ${processesIn(mnt!).join(',') || 'none'}`
      throw new Error(`${error.message}: ${seen}; exp said: ${stderr.trim() || '(nothing)'}`)
    })
    if (!ended()) {
      await fill(mnt!)
      child.kill('SIGINT')
    }
    const code = await exited
    oneLineDiskFull({code, stderr})
    await until(() => processesIn(mnt!).length === 0, 10_000)
    assert.deepEqual(tempFiles(ws), [])
  })

  it('a read-only filesystem: new fails in one line naming it', async () => {
    execFileSync('mount', ['-o', 'remount,ro', mnt!])
    const r = await exp(['new', 'fresh'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /read-only file system: /)
    assert.ok(!existsSync(path.join(ws, 'experiments', 'fresh')))
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isExpError} from '../../src/errors.js'
import {type LockOwner, withLock, WorkspaceLock} from '../../src/lib/lock.js'
import {bundledScript} from '../support/bundle.js'
import {ROOT, removeDir, tempDir} from '../support/exp.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The pid of a process that has exited (so is dead, and not reused this soon). */
async function deadPid(): Promise<number> {
  const child = await execa(process.execPath, ['-e', 'console.log(process.pid)'])
  return Number(child.stdout)
}

describe('the workspace lock', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await tempDir('exp-lock-')
    file = path.join(dir, '.exp', 'lock')
  })
  afterEach(() => removeDir(dir))

  it('is acquired with its owner recorded and released', async () => {
    const lock = await WorkspaceLock.acquire(file, {command: 'archive'})
    const owner = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner
    assert.equal(owner.pid, process.pid)
    assert.equal(owner.host, os.hostname())
    assert.equal(owner.command, 'archive')
    assert.ok(!Number.isNaN(Date.parse(owner.since)))
    await lock.release()
    assert.ok(!existsSync(file))
    await (await WorkspaceLock.acquire(file, {waitMs: 0})).release()
    assert.deepEqual(
      (await fs.readdir(path.dirname(file))).filter((n) => n.startsWith('lock')),
      [],
      'no temporary files left',
    )
  })

  it('sweeps temporary owner files left by processes killed mid-acquisition, and keeps live ones', async () => {
    await fs.mkdir(path.dirname(file), {recursive: true})
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim() // a pid that has exited
    await fs.writeFile(`${file}.${dead}.0123abcd.tmp`, '{}')
    await fs.writeFile(`${file}.${process.pid}.4567ef01.tmp`, '{}')
    await (await WorkspaceLock.acquire(file)).release()
    const left = (await fs.readdir(path.dirname(file))).filter((n) => n.startsWith('lock'))
    assert.deepEqual(left, [`lock.${process.pid}.4567ef01.tmp`])
  })

  it('makes a second acquirer wait, then fail with "workspace is locked by PID … since …" (exit 3)', async () => {
    const held = await WorkspaceLock.acquire(file, {command: 'archive --status all --yes'})
    const started = Date.now()
    await assert.rejects(WorkspaceLock.acquire(file, {waitMs: 400}), (error: unknown) => {
      assert.ok(isExpError(error))
      assert.equal(error.exit, 3)
      assert.match(
        error.message,
        new RegExp(
          `^workspace is locked by PID ${process.pid} since ${held.owner.since.replace(/[.]/g, '\\.')} \\(exp archive --status all --yes\\)\\.$`,
        ),
      )
      return true
    })
    assert.ok(Date.now() - started >= 400, 'it waited before failing')
    await held.release()
  })

  it('hands the lock to a waiter as soon as the holder releases it', async () => {
    const held = await WorkspaceLock.acquire(file)
    const waiting = WorkspaceLock.acquire(file, {waitMs: 20_000})
    await sleep(300)
    await held.release()
    const next = await waiting
    assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).nonce, next.owner.nonce)
    await next.release()
  })

  it('takes over at once a lock left by a dead process', async () => {
    const pid = await deadPid()
    await fs.mkdir(path.dirname(file), {recursive: true})
    const dead: LockOwner = {
      command: 'archive',
      host: os.hostname(),
      nonce: 'deadbeef',
      pid,
      since: new Date().toISOString(),
    }
    await fs.writeFile(file, JSON.stringify(dead))
    const lock = await WorkspaceLock.acquire(file, {waitMs: 0})
    assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).pid, process.pid)
    await lock.release()
  })

  it("does not take over a live process's lock", async () => {
    await fs.mkdir(path.dirname(file), {recursive: true})
    // the test runner's parent is alive and is not us
    const live: LockOwner = {
      command: 'archive',
      host: os.hostname(),
      nonce: 'cafe',
      pid: process.ppid,
      since: new Date().toISOString(),
    }
    await fs.writeFile(file, JSON.stringify(live))
    await assert.rejects(WorkspaceLock.acquire(file, {waitMs: 0}), /workspace is locked by PID/)
    assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).nonce, 'cafe', 'left as it was')
  })

  it('never lets two concurrent acquirers in this process hold it (starting from a dead lock)', async () => {
    await fs.mkdir(path.dirname(file), {recursive: true})
    await fs.writeFile(
      file,
      JSON.stringify({
        command: 'x',
        host: os.hostname(),
        nonce: 'dead',
        pid: await deadPid(),
        since: new Date().toISOString(),
      }),
    )
    let holders = 0
    let most = 0
    let entered = 0
    await Promise.all(
      Array.from({length: 25}, () =>
        withLock(
          file,
          async () => {
            holders++
            entered++
            most = Math.max(most, holders)
            await sleep(Math.random() * 10)
            holders--
          },
          {waitMs: 30_000},
        ),
      ),
    )
    assert.equal(entered, 25)
    assert.equal(most, 1)
  })

  it('never lets two processes hold it at once', async () => {
    const log = path.join(dir, 'holds.log')
    const worker = path.join(ROOT, 'test', 'support', 'lock-worker.ts')
    const script = await bundledScript(worker)
    const workers = Array.from({length: 5}, () => execa(process.execPath, [script, file, log, '8'], {cwd: ROOT}))
    await Promise.all(workers)
    const lines = (await fs.readFile(log, 'utf8')).trim().split('\n')
    assert.equal(lines.length, 5 * 8 * 2)
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, pid] = lines[i].split(' ')
      assert.equal(enter, 'enter', `line ${i + 1}: ${lines[i]}`)
      assert.equal(lines[i + 1], `exit ${pid}`, `hold ${i / 2 + 1} overlapped another`)
    }
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {existsSync, promises as fs, readdirSync} from 'node:fs'
import path from 'node:path'

import {leaseName} from '../../src/remote/lease.js'
import {TICKET_SUFFIX, ticketName} from '../../src/remote/lease-queue.js'
import {EXP_BIN, exp, expJson, removeDir, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * The remote lease from the command line (real rclone, a local-directory remote): `exp remote unlock` with the queue
 * tickets of waiting machines beside the leases in locks/, and Ctrl-C while a command waits for the lease.
 * lease_seconds 30: a lease is expired 30 s past its `expires`, a ticket 10 s past its own.
 */
describe('exp remote unlock and Ctrl-C while waiting for the remote lease (real rclone, a local-directory remote)', function () {
  this.timeout(60_000)
  let dir: string
  let ws: string
  let locks: string
  let root: string
  let env: Record<string, string>
  const run = (args: string[]) => exp(['remote', 'unlock', ...args], {cwd: ws, env})
  const json = (args: string[]) => expJson(['remote', 'unlock', ...args], {cwd: ws, env})
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString()
  const put = (name: string, host: string, pid: number, expiresInMs: number) =>
    fs.writeFile(
      path.join(locks, name),
      JSON.stringify({
        command: 'graph claim',
        created: at(-60_000),
        expires: at(expiresInMs),
        holder: `${host}:${pid}`,
        host,
        pid,
      }),
    )
  const now = Date.now()
  const lease = leaseName(now, 'hosta', 11)
  const waiting = ticketName(now, 'hostb', 22)
  const gone = ticketName(now - 120_000, 'hostc', 33)

  before(async () => {
    dir = await tempDir('exp-unlock-')
    await fs.writeFile(path.join(dir, 'rclone.conf'), '')
    env = {RCLONE_CONFIG: path.join(dir, 'rclone.conf'), RCLONE_CONFIG_LOC_TYPE: 'local'}
    ws = await tempWorkspace()
    root = path.join(dir, 'root')
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      `remote:\n  rclone_remote: "loc:"\n  rclone_root: "${root}"\n  lease_seconds: 30\n`,
    )
    locks = path.join(root, 'locks')
    await fs.mkdir(locks, {recursive: true})
  })
  after(async () => {
    await removeDir(ws)
    await removeDir(dir)
  })

  it('without --force: a live lease keeps everything; with the lease free, expired tickets go and live ones stay', async () => {
    await put(lease, 'hosta', 11, 30_000)
    await put(waiting, 'hostb', 22, 30_000)
    await put(gone, 'hostc', 33, -60_000)
    const held = await run([])
    assert.equal(held.code, 3)
    assert.match(
      held.stderr.trim(),
      /^Error: the remote lease is held by hosta:11 \(graph claim, since .*\); nothing removed\./,
    )
    assert.deepEqual(readdirSync(locks).sort(), [gone, lease, waiting].sort())
    await fs.rm(path.join(locks, lease))
    const r = await json([])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(
      r.json.tickets.map((t: {holder: string; removed: boolean; state: string}) => [
        t.holder.split(' ')[0],
        t.state,
        t.removed,
      ]),
      [
        ['hostc:33', 'expired', true],
        ['hostb:22', 'live', false],
      ],
    )
    assert.deepEqual(readdirSync(locks), [waiting])
  })

  it('--force also removes live queue tickets (after --dry-run showed it would, changing nothing)', async () => {
    await put(lease, 'hosta', 11, 30_000)
    await put(gone, 'hostc', 33, -60_000)
    const files = readdirSync(locks).sort()
    assert.deepEqual(files, [gone, lease, waiting].sort())
    const dry = await run(['--force', '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^Would remove the live lease of hosta:11 /m)
    assert.match(dry.stdout, /^Would remove the expired queue ticket of hostc:33 /m)
    assert.match(dry.stdout, /^Would remove the live queue ticket of hostb:22 /m)
    assert.deepEqual(readdirSync(locks).sort(), files)
    const forced = await json(['--force', '--yes'])
    assert.equal(forced.code, 0, forced.stderr)
    assert.deepEqual(
      forced.json.leases.map((l: {removed: boolean}) => l.removed),
      [true],
    )
    assert.deepEqual(
      forced.json.tickets.map((t: {name: string; removed: boolean}) => [t.name, t.removed]),
      [
        [gone, true],
        [waiting, true],
      ],
    )
    assert.deepEqual(readdirSync(locks), [])
  })

  /** exp started in the workspace, once it waits in the lease's queue (its ticket is in locks/); wrapped, since the
   * child is itself awaitable (its end) */
  const waitingBehindLease = async (args: string[]) => {
    const child = execa(process.execPath, [EXP_BIN, ...args], {
      cwd: ws,
      env: {...env, EXP_ROOT: undefined},
      reject: false,
    })
    const until = Date.now() + 30_000
    while (!readdirSync(locks).some((n) => n.endsWith(TICKET_SUFFIX))) {
      if (child.exitCode !== null || Date.now() > until) assert.fail(`no ticket while waiting: ${(await child).stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return {child}
  }

  it('Ctrl-C while a graph change waits for a live lease: exit 130, one line, its queue ticket removed', async () => {
    await put(lease, 'hosta', 11, 30_000)
    const {child} = await waitingBehindLease(['graph', 'add', 'base', '--action', 'train'])
    child.kill('SIGINT')
    const r = await child
    assert.equal(r.exitCode, 130, r.stderr)
    assert.equal(String(r.stderr).trim(), 'Error: interrupted while waiting for the remote lease; nothing was changed.')
    assert.deepEqual(readdirSync(locks), [lease], 'the ticket removed, the holder untouched')
    assert.ok(!existsSync(path.join(root, 'work_graph.json')), 'no graph written')
  })

  it('Ctrl-C while exp graph run waits for a live lease to claim a node: exit 130 at once, its ticket removed, nothing claimed', async () => {
    for (const name of readdirSync(locks)) await fs.rm(path.join(locks, name))
    const added = await exp(['graph', 'add', 'first', '--action', 'train'], {
      cwd: ws,
      env: {...env, EXP_ROOT: undefined},
    })
    assert.equal(added.code, 0, added.stderr)
    const graph = await fs.readFile(path.join(root, 'work_graph.json'), 'utf8')
    await put(lease, 'hosta', 11, 30_000)
    const {child} = await waitingBehindLease(['graph', 'run'])
    const stopped = Date.now()
    child.kill('SIGINT')
    const r = await child
    // before this, graph run's own Ctrl-C handling kept the wait going until the lease was free (30 s here)
    assert.ok(Date.now() - stopped < 10_000, `graph run took ${Date.now() - stopped} ms to stop`)
    assert.equal(r.exitCode, 130, `${r.stdout}\n${r.stderr}`)
    assert.deepEqual(readdirSync(locks), [lease], 'the ticket removed, the holder untouched')
    assert.equal(await fs.readFile(path.join(root, 'work_graph.json'), 'utf8'), graph, 'nothing claimed')
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {normaliseTarget, Rclone} from '../../src/remote/rclone.js'
import {EXP_BIN} from '../support/exp.js'
import {assertRanOnceInOrder, engineTimes, graphOf, graphWorkspace, node} from '../support/graph.js'
import {rcloneSuite} from '../support/rclone.js'

/** A random DAG of train nodes: each depends on up to two earlier ones (seeded, so a failure can be replayed). */
function randomDag(n: number, seed: number): Array<Record<string, unknown>> {
  let s = seed
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  return Array.from({length: n}, (_, i) => {
    const deps = new Set<string>()
    for (let k = 0; k < (i === 0 ? 0 : Math.floor(rand() * 3)); k++) deps.add(`n${Math.floor(rand() * i)}`)
    return node(`n${i}`, 'train', [...deps])
  })
}

// Each graph change costs about seven rclone calls (lease, settle, re-list, download, upload beside a check, move,
// release), taken in turn under the lease; the suite races 4 machines on 12 nodes once (129–165 s on 2 cores shared at
// load 20), and the full race (30 nodes, 3 repetitions) runs when asked: EXP_TEST_REMOTE_RACE=1.
const FULL = Boolean(process.env.EXP_TEST_REMOTE_RACE)
const NODES = Number(process.env.EXP_REMOTE_RACE_NODES ?? (FULL ? 30 : 12))
const REPETITIONS = Number(process.env.EXP_REMOTE_RACE_REPETITIONS ?? (FULL ? 3 : 1))

describe('the work graph on a WebDAV remote: 4 workspaces (4 machines) race on one graph', function () {
  this.timeout(1_000_000)
  const suite = rcloneSuite()
  const {dirs} = suite

  for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
    it(`${NODES}-node DAG: each node ran exactly once, after its dependencies, every history complete (repetition ${repetition})`, async () => {
      const root = `race-${repetition}`
      const nodes = randomDag(NODES, repetition * 7919)
      // through the server: a folder made behind its back stays unseen while it caches the listing of its parent
      // (repetitions 2, 4 and 5 of five once found no graph)
      await new Rclone(normaliseTarget('dav:', root), {...process.env, ...suite.rc.env}).writeText(
        'work_graph.json',
        JSON.stringify(graphOf(nodes), null, 2),
      )
      const workspaces = await Promise.all(
        Array.from({length: 4}, async () => {
          const ws = await graphWorkspace()
          await fs.appendFile(
            path.join(ws, 'exp.yaml'),
            `remote:\n  rclone_remote: "dav:"\n  rclone_root: ${root}\n  lease_seconds: 20\n  settle_seconds: 0.1\n`,
          )
          dirs.push(ws)
          return ws
        }),
      )
      const env = {...suite.rc.env, ENGINE_SLEEP: '0.05', EXP_ROOT: undefined}
      const started = Date.now()
      const runners = await Promise.all(
        workspaces.map((cwd) =>
          execa(process.execPath, [EXP_BIN, 'graph', 'run', '--workers', '2', '--json'], {
            cwd,
            env,
            reject: false,
            timeout: 950_000,
          }),
        ),
      )
      for (const r of runners) assert.equal(r.exitCode, 0, `${r.stderr}\n${String(r.stdout).slice(0, 2000)}`)
      const ranBy = runners.map((r) => JSON.parse(String(r.stdout)).ran.map((x: any) => x.id) as string[])
      assert.equal(ranBy.flat().length, NODES, `the runners together ran ${NODES} nodes`)
      assert.equal(new Set(ranBy.flat()).size, NODES, 'no node was run by two machines')
      assert.ok(ranBy.filter((ids) => ids.length > 0).length >= 2, 'more than one machine ran nodes')
      // the lease goes to the machine waiting longest: nobody waits for more than the other three machines' turns
      // (a turn is the race's time over the turns taken: the lease is busy all along), with room for jitter
      const stats = runners.map(
        (r) => JSON.parse(String(r.stdout)).store as {lease_taken: number; lease_wait_max_s: number},
      )
      const turn = (Date.now() - started) / 1000 / stats.reduce((n, s) => n + s.lease_taken, 0)
      const longest = Math.max(...stats.map((s) => s.lease_wait_max_s))
      assert.ok(
        longest <= 2 * 3 * turn + 5,
        `the longest wait for the lease, ${longest} s, is within 2 × 3 turns of ${turn.toFixed(2)} s`,
      )
      const times: Record<string, Array<{start: number; end?: number}>> = {}
      for (const ws of workspaces)
        for (const [id, runs] of Object.entries(await engineTimes(ws))) times[id] = [...(times[id] ?? []), ...runs]
      const g = JSON.parse(await fs.readFile(path.join(suite.rc.served, root, 'work_graph.json'), 'utf8'))
      assertRanOnceInOrder(nodes, times, g)
      assert.equal(g.version, 1 + 3 * NODES, 'every write is one version: none lost')
      assert.deepEqual(await fs.readdir(path.join(suite.rc.served, root, 'locks')), [], 'every lease released')
    })
  }
})

import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {isProcessAlive} from '../../src/lib/process-alive.js'
import {EXP_BIN, expJson, removeDir} from '../support/exp.js'
import {
  assertRanOnceInOrder,
  engineTimes,
  graphCmd,
  graphOf,
  graphPath,
  graphWorkspace,
  node,
  readGraph,
  writeGraph,
} from '../support/graph.js'
import {waitFor} from '../support/slurm.js'

/** A random DAG of train nodes: each depends on up to three earlier ones (seeded, so a failure can be replayed). */
function randomDag(n: number, seed: number): Array<Record<string, unknown>> {
  let s = seed
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  return Array.from({length: n}, (_, i) => {
    const deps = new Set<string>()
    const count = i === 0 ? 0 : Math.floor(rand() * 4)
    for (let k = 0; k < count; k++) deps.add(`n${Math.floor(rand() * i)}`)
    return node(`n${i}`, 'train', [...deps])
  })
}

describe('exp graph run: concurrent runners and crashes', function () {
  this.timeout(240_000)
  let ws: string | undefined

  afterEach(async () => {
    await removeDir(ws)
    ws = undefined
  })

  for (const repetition of [1, 2, 3]) {
    it(`40-node random DAG, 4 runners × 2 workers: each node once, after its dependencies, nothing lost (repetition ${repetition})`, async () => {
      ws = await graphWorkspace()
      const nodes = randomDag(40, repetition * 7919)
      await writeGraph(ws, graphOf(nodes))
      // a reader samples the file while the runners write it: versions only ever grow
      const seen: Array<{version: number; updated: number}> = []
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          const g = await readGraph(ws!).catch(() => undefined)
          if (g) seen.push({updated: g.updated_utc, version: g.version})
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      const runners = await Promise.all(
        Array.from({length: 4}, () =>
          execa(process.execPath, [EXP_BIN, 'graph', 'run', '--workers', '2', '--json'], {
            cwd: ws,
            reject: false,
            timeout: 200_000,
          }),
        ),
      )
      sampling = false
      await sampler
      for (const r of runners) assert.equal(r.exitCode, 0, r.stderr)
      const ranBy = runners.map((r) => JSON.parse(String(r.stdout)).ran.map((x: any) => x.id) as string[])
      assert.equal(ranBy.flat().length, 40, 'the runners together ran 40 nodes')
      assert.equal(new Set(ranBy.flat()).size, 40, 'no node was run by two runners')

      const times = await engineTimes(ws)
      const g = await readGraph(ws)
      assertRanOnceInOrder(nodes, times, g)
      for (const n of nodes)
        assert.ok(g.nodes[n.id as string].history[0].at_utc <= g.nodes[n.id as string].history[1].at_utc)
      // each node is written three times (claim, its new experiment, its end), each write one version: none lost
      assert.equal(g.version, 1 + 3 * 40)
      for (let i = 1; i < seen.length; i++) {
        assert.ok(
          seen[i].version >= seen[i - 1].version && seen[i].updated >= seen[i - 1].updated,
          `version went back: ${JSON.stringify(seen.slice(i - 1, i + 1))}`,
        )
      }
      assert.ok(new Set(seen.map((x) => x.version)).size > 10, 'the sampler saw the graph grow')
    })
  }

  it('SIGKILL mid-node: the node shows interrupted (claimer gone), is not claimed again until reset, then runs', async () => {
    ws = await graphWorkspace()
    await writeGraph(ws, graphOf([node('slow', 'train'), node('after', 'train', ['slow'])]))
    const runner = execa(process.execPath, [EXP_BIN, 'graph', 'run'], {
      cwd: ws,
      env: {ENGINE_SLEEP: '30'},
      reject: false,
    })
    const times = path.join(ws, 'times')
    await waitFor('the engine to start', async () => (await fs.readdir(times).catch(() => [])).length > 0, 60_000)
    runner.kill('SIGKILL')
    await runner
    const show = await expJson(['graph', 'show'], {cwd: ws})
    assert.equal(show.code, 0, show.stderr)
    const slow = show.json.nodes.find((n: any) => n.id === 'slow')
    assert.equal(slow.status, 'interrupted')
    assert.match(slow.why, /^interrupted: claimer gone: pid \d+ on \S+ is no longer running — exp graph reset slow$/)
    assert.equal((await readGraph(ws)).nodes.slow.status, 'interrupted', 'the show wrote it')
    assert.deepEqual(
      show.json.nodes.find((n: any) => n.id === 'after').why,
      'blocked: slow interrupted — exp graph reset slow',
    )

    const again = await expJson(['graph', 'run'], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(again.json.ran, [], 'an interrupted node is never claimed by itself')
    assert.equal((await readGraph(ws)).nodes.slow.status, 'interrupted')

    // the killed runner's engine is still sleeping in its own process group: stop it
    const exp = (await readGraph(ws)).nodes.slow.experiment
    const runs = await fs.readdir(path.join(ws, 'experiments', exp, 'runs'))
    const record = JSON.parse(await fs.readFile(path.join(ws, 'experiments', exp, 'runs', runs[0], 'run.json'), 'utf8'))
    const pid = record.stages[0].pid as number
    if (isProcessAlive(pid)) process.kill(-pid, 'SIGKILL')

    assert.equal((await graphCmd(ws, ['reset', 'slow', '--reason', 'runner was killed'])).code, 0)
    const last = await expJson(['graph', 'run'], {cwd: ws})
    assert.equal(last.code, 0, last.stderr)
    assert.deepEqual(
      last.json.ran.map((r: any) => [r.id, r.status]),
      [
        ['slow', 'completed'],
        ['after', 'completed'],
      ],
    )
    const history = (await readGraph(ws)).nodes.slow.history.map((h: any) => h.to)
    assert.deepEqual(history, ['in_progress', 'interrupted', 'not_started', 'in_progress', 'completed'])
    assert.ok(graphPath(ws))
  })
})

import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'

import {exp, removeDir, tempWorkspace} from '../support/exp.js'
import {graphOf, graphPath, node, readGraph, writeGraph} from '../support/graph.js'

// `exp graph show` through the binary (its start-up fast path, as `npm run bench:graph` measures it): a look writes
// only what it brings up to date, once; a look that changes nothing writes nothing.
describe('exp graph show: a look that changes nothing writes nothing', function () {
  this.timeout(60_000)
  let ws: string | undefined

  afterEach(async () => {
    await removeDir(ws)
    ws = undefined
  })

  it('brings a noop up to date once, then leaves the file as it is', async () => {
    const root = (ws = await tempWorkspace())
    const history = [{at_utc: 1732900001, by: 'ana', from: 'not_started', to: 'completed', why: 'by hand\n  twice'}]
    await writeGraph(
      ws,
      graphOf([
        node('base', 'train', [], {history, reason: 'marked\tby  hand ', status: 'completed'}),
        node('gate', 'noop', ['base']),
        node('ev', 'eval', ['gate']),
        node('write-up', 'paper', ['ev']),
      ]),
    )
    const show = () => exp(['graph', 'show'], {cwd: root, e2e: true})
    const first = await show()
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stderr, /Brought up to date: gate → completed\./)
    const written = await readGraph(root)
    assert.equal(written.version, 2)
    assert.equal(written.nodes.gate.status, 'completed')
    const bytes = await fs.readFile(graphPath(root), 'utf8')
    const stat = await fs.stat(graphPath(root), {bigint: true})

    const second = await show()
    assert.equal(second.code, 0, second.stderr)
    assert.doesNotMatch(second.stderr, /Brought up to date/)
    assert.equal(second.stdout, first.stdout)
    assert.equal(await fs.readFile(graphPath(root), 'utf8'), bytes)
    const again = await fs.stat(graphPath(root), {bigint: true})
    assert.equal(again.mtimeNs, stat.mtimeNs)
    assert.equal(again.ino, stat.ino) // not replaced by an atomic write of the same bytes either
    assert.match(second.stdout, /^ev {8}eval {4}runnable {5}-/m)
    assert.match(second.stdout, /version 2: 4 nodes \(2 completed, 2 not_started\); next: ev\.$/m)
  })
})

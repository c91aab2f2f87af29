import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace, treeSnapshot} from '../support/exp.js'
import {
  engineTimes,
  graphCmd,
  graphOf,
  graphPath,
  graphWorkspace,
  node,
  readGraph,
  writeGraph,
} from '../support/graph.js'

describe('exp graph: the file, validation, overrides', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string | undefined

  afterEach(async () => {
    await removeDir(ws)
    ws = undefined
  })

  it('reads a hand-written graph with unknown fields, runs it and writes it back with those fields intact', async () => {
    ws = await graphWorkspace()
    const team = graphOf(
      [
        node('pretrain', 'train', [], {
          owner: 'ana',
          priority: 3,
          spec: {train_config: {seed: 1}, cluster_hint: {gpus: 8}},
        }),
        node('ft', 'finetune', ['pretrain'], {notes: ['lr sweep', {by: 'ben'}], eta_hours: 1.5}),
        node('ev', 'eval', ['ft'], {suite: 'held-out', weights: null}),
        node('gate', 'noop', ['ev'], {label: 'all evals'}),
        node('write-up', 'paper', ['gate'], {section: 4}),
      ],
      {project: 'burgers', schema_note: {a: [1, 2, {b: true}]}},
    )
    await writeGraph(ws, team)
    const r = await graphCmd(ws, ['run', '--workers', '2'])
    assert.equal(r.code, 0, r.stderr)
    const after = await readGraph(ws)
    // every field exp does not own, at the top and in every node, has the same value
    const own = new Set(['version', 'updated_utc', 'status', 'experiment', 'runs', 'claimed_by', 'reason', 'history'])
    for (const [key, value] of Object.entries(team))
      if (!own.has(key) && key !== 'nodes') assert.deepEqual(after[key], value, key)
    for (const [id, before] of Object.entries(team.nodes as Record<string, Record<string, unknown>>)) {
      for (const [key, value] of Object.entries(before))
        if (!own.has(key)) assert.deepEqual(after.nodes[id][key], value, `${id}.${key}`)
    }
    assert.deepEqual(Object.keys(after).slice(0, 3), ['version', 'updated_utc', 'nodes'])
    assert.ok(after.version > 1 && Number.isInteger(after.version))
    assert.ok(after.updated_utc > 1732900000.25 && !Number.isInteger(after.updated_utc))
    const statuses = Object.fromEntries(Object.entries(after.nodes).map(([id, n]: [string, any]) => [id, n.status]))
    assert.deepEqual(statuses, {
      ev: 'completed',
      ft: 'completed',
      gate: 'completed',
      pretrain: 'completed',
      'write-up': 'not_started',
    })
    assert.match(after.nodes.pretrain.experiment, /^\d{4}-\d{2}-\d{2}-pretrain$/)
    assert.equal(
      await fs.readFile(path.join(ws, 'experiments', after.nodes.pretrain.experiment, 'config.yaml'), 'utf8'),
      'seed: 1\n',
    )

    const show = await expJson(['graph', 'show'], {cwd: ws})
    const paper = show.json.nodes.find((n: any) => n.id === 'write-up')
    assert.equal(paper.why, 'waits for a person — exp graph mark write-up completed')
    const mark = await graphCmd(ws, ['mark', 'write-up', 'completed', '--reason', 'section 4 written'])
    assert.equal(mark.code, 0, mark.stderr)
    const marked = (await readGraph(ws)).nodes['write-up']
    assert.equal(marked.status, 'completed')
    assert.equal(marked.history.at(-1).why, 'section 4 written')
    assert.match(marked.history.at(-1).by, /pid \d+ \(exp graph mark\)$/)
  })

  it("the eval node's {input_checkpoint} is its finetune's completed run's checkpoint folder (embedded engine)", async () => {
    ws = await tempWorkspace()
    const quick = ['--set', 'training.epochs=20', '--set', 'data.n_train=32', '--set', 'data.n_test=8']
    for (const args of [
      ['base', '--action', 'train', ...quick],
      ['ft', '--action', 'finetune', '--depends-on', 'base', ...quick],
      ['ev', '--action', 'eval', '--depends-on', 'ft', ...quick],
    ]) {
      const r = await graphCmd(ws, ['add', ...args])
      assert.equal(r.code, 0, r.stderr)
    }
    const r = await graphCmd(ws, ['run'])
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const g = await readGraph(ws)
    assert.deepEqual(
      ['base', 'ft', 'ev'].map((id) => g.nodes[id].status),
      ['completed', 'completed', 'completed'],
    )
    const ftCheckpoint = path.join(ws, 'experiments', g.nodes.ft.experiment, 'checkpoints', g.nodes.ft.runs[0])
    const evDir = path.join(ws, 'experiments', g.nodes.ev.experiment)
    const report = JSON.parse(await fs.readFile(path.join(evDir, 'reports', `${g.nodes.ev.runs[0]}.json`), 'utf8'))
    assert.equal(path.resolve(evDir, report.checkpoint), ftCheckpoint)
    assert.ok(existsSync(path.join(ftCheckpoint)))
  })

  const malformed: Array<[string, (g: any) => void, RegExp]> = [
    ['key/id mismatch', (g) => (g.nodes.a.id = 'z'), /node "a": its id is "z" but its key is "a"/],
    ['unknown action', (g) => (g.nodes.b.action = 'deploy'), /node "b": unknown action "deploy"/],
    ['unknown status', (g) => (g.nodes.b.status = 'done'), /node "b": unknown status "done"/],
    [
      'unknown dependency',
      (g) => g.nodes.c.depends_on.push('ghost'),
      /node "c": depends on "ghost", which is not in the graph/,
    ],
    ['self-dependency', (g) => g.nodes.b.depends_on.push('b'), /node "b": depends on itself/],
    ['a cycle', (g) => g.nodes.a.depends_on.push('c'), /node "a": dependency cycle a → c → b → a/],
    ['train without train_config', (g) => (g.nodes.a.spec = {}), /node "a": a train node needs spec.train_config/],
    [
      'finetune without experiment_config',
      (g) => (g.nodes.b.spec = {train_config: {}}),
      /node "b": a finetune node needs spec.experiment_config/,
    ],
    ['eval without eval_config', (g) => delete g.nodes.c.spec, /node "c": an eval node needs spec.eval_config/],
    [
      'an experiment that does not exist',
      (g) => (g.nodes.a.experiment = '2020-01-01-nowhere'),
      /node "a": experiment "2020-01-01-nowhere" does not exist/,
    ],
    ['depends_on not a list', (g) => (g.nodes.c.depends_on = 'b'), /node "c": "depends_on" must be a list/],
    [
      'an ambiguous input checkpoint',
      (g) => {
        g.nodes.d = {...node('d', 'finetune', ['a']), id: 'd'}
        g.nodes.c.depends_on.push('d')
      },
      /node "c": its input checkpoint is ambiguous \(b, d\)/,
    ],
    [
      'checkpoint_from naming a non-dependency',
      (g) => (g.nodes.c.spec.checkpoint_from = 'x'),
      /node "c": spec.checkpoint_from "x" is not a train or finetune node it depends on/,
    ],
    ['a node that is not an object', (g) => (g.nodes.b = 'train'), /node "b": must be an object/],
  ]

  it(`refuses ${malformed.length} malformed graphs: one line naming the node, exit 2, nothing run, file unchanged`, async () => {
    ws = await graphWorkspace()
    const base = graphOf([node('a', 'train'), node('b', 'finetune', ['a']), node('c', 'eval', ['b'])])
    for (const [i, [what, breakIt, message]] of malformed.entries()) {
      const g = structuredClone(base)
      breakIt(g)
      await writeGraph(ws, g)
      const before = await treeSnapshot(ws)
      // every command that acts checks first: run for each rule, the others for some (time)
      const commands = [
        ['run'],
        ...(i % 2 === 0 ? [['validate']] : []),
        ...(i % 5 === 0 ? [['submit', '--slurm'], ['show'], ['reset', 'a']] : []),
      ]
      for (const args of commands) {
        const r = await graphCmd(ws, args)
        assert.equal(r.code, 2, `${what}: ${args[0]} exit ${r.code}: ${r.stderr}`)
        assert.match(r.stderr, message, what)
        assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`)
        assert.match(r.stderr, /^Error: work_graph\.json: /, what)
      }
      assert.deepEqual(await treeSnapshot(ws), before, `${what}: something changed`)
    }
    assert.deepEqual(await engineTimes(ws), {})
    const made = await fs.readdir(path.join(ws, 'experiments'), {withFileTypes: true})
    assert.deepEqual(
      made.filter((e) => e.isDirectory()).map((e) => e.name),
      [],
      'no experiment was created',
    )
  })

  it("a person's edit that breaks the file stops the runner with one line", async () => {
    ws = await graphWorkspace()
    await writeGraph(ws, graphOf([node('a', 'train'), node('b', 'train', ['a'])]))
    // the engine breaks the graph while node a runs: the runner's next write must refuse it
    const yaml = await fs.readFile(path.join(ws, 'exp.yaml'), 'utf8')
    await fs.writeFile(
      path.join(ws, 'exp.yaml'),
      yaml.replace(
        '"import os, sys, time, random\\n',
        `"import os, sys, time, random\\nopen('${graphPath(ws)}', 'w').write('{broken')\\n`,
      ),
    )
    const r = await graphCmd(ws, ['run'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: work_graph\.json is not valid JSON/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.equal(await fs.readFile(graphPath(ws), 'utf8'), '{broken')
  })

  it('add, remove (refused while others depend on it), reset --downstream, show why, --dot', async () => {
    ws = await graphWorkspace()
    await makeExperiment(ws, '2025-01-01-old')
    assert.equal((await graphCmd(ws, ['add', 'a', '--action', 'train', '--set', 'fail=true'])).code, 0)
    assert.equal((await graphCmd(ws, ['add', 'b', '--action', 'eval', '--depends-on', 'a'])).code, 0)
    assert.equal(
      (await graphCmd(ws, ['add', 'c', '--action', 'eval', '--depends-on', 'b', '--experiment', 'old'])).code,
      0,
    )
    const dup = await graphCmd(ws, ['add', 'a', '--action', 'noop'])
    assert.equal(dup.code, 1)
    assert.match(dup.stderr, /already has a node "a"/)
    const unknown = await graphCmd(ws, ['add', 'd', '--action', 'noop', '--depends-on', 'zz'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /node "d": depends on "zz"/)
    const refused = await graphCmd(ws, ['remove', 'a', '--yes'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /cannot remove "a": b depends on it/)
    assert.equal((await readGraph(ws)).nodes.c.experiment, '2025-01-01-old')

    const run = await graphCmd(ws, ['run'])
    assert.equal(run.code, 1, run.stderr)
    const show = await expJson(['graph', 'show'], {cwd: ws})
    const why = Object.fromEntries(show.json.nodes.map((n: any) => [n.id, [n.status, n.why]]))
    assert.deepEqual(why.a[0], 'failed')
    assert.match(why.a[1], /run \S+ failed.*— exp graph reset a$/)
    assert.deepEqual(why.b, ['not_started', 'blocked: a failed — exp graph reset a'])
    assert.deepEqual(why.c, ['not_started', 'blocked: a failed — exp graph reset a'])
    const dot = await graphCmd(ws, ['show', '--dot'])
    assert.match(dot.stdout, /^digraph work_graph \{/)
    assert.match(dot.stdout, /"a" -> "b";/)

    const dry = await graphCmd(ws, ['reset', 'a', '--downstream', '--dry-run'])
    assert.match(dry.stdout, /Would set a: failed → not_started/)
    assert.equal((await readGraph(ws)).nodes.a.status, 'failed')
    const reset = await graphCmd(ws, ['reset', 'a', '--downstream', '--reason', 'fixed the config'])
    assert.equal(reset.code, 0, reset.stderr)
    const a = (await readGraph(ws)).nodes.a
    assert.equal(a.status, 'not_started')
    assert.deepEqual(
      a.history.map((h: any) => h.to),
      ['in_progress', 'failed', 'not_started'],
    )
    assert.equal(a.history.at(-1).why, 'fixed the config')
    const next = await expJson(['graph', 'next'], {cwd: ws})
    assert.equal(next.json.next.id, 'a')
    const removed = await graphCmd(ws, ['remove', 'c'])
    assert.equal(removed.code, 2, 'no terminal and no --yes')
    assert.equal((await graphCmd(ws, ['remove', 'c', '--yes'])).code, 0)
    assert.equal((await readGraph(ws)).nodes.c, undefined)
    const r = await exp(['graph', 'validate'], {cwd: ws})
    assert.match(r.stdout, /work_graph\.json: valid \(2 nodes, version \d+\)/)
  })
})

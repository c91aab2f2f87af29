import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, promises as fs, statSync} from 'node:fs'
import path from 'node:path'

import {
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  requireTool,
  tempWorkspace,
  treeSnapshot,
} from '../support/exp.js'

const MiB = 1024 * 1024
const NO_MANIFEST = 'no manifest: the train stage did not finish or predates manifests'

/**
 * Checkpoint integrity through the built CLI: every corruption `exp verify` must report (one line, exit 1,
 * nothing modified), a good checkpoint (exit 0), the states `exp list --json` and `exp show --json` carry, and an
 * evaluate on a corrupted checkpoint that never starts its engine.
 */
describe('exp verify: checkpoint manifests', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string
  const dirOf = (name: string) => path.join(ws, 'experiments', name)
  const ck = (name: string, ...rel: string[]) => path.join(dirOf(name), 'checkpoints', 'r1', ...rel)

  /** One experiment per case, each with a 1 MiB model, a small optimizer state and a sha256sum sidecar, adopted. */
  const CASES = [
    'byte',
    'truncated',
    'deleted',
    'extra',
    'zero',
    'nomanifest',
    'badjson',
    'symlink',
    'sidecar',
    'good',
  ] as const
  before(async function () {
    ws = await tempWorkspace()
    for (const c of CASES) {
      await makeExperiment(ws, `2025-01-01-${c}`)
      await fs.mkdir(ck(`2025-01-01-${c}`, 'opt'), {recursive: true})
      const model = randomBytes(MiB)
      await fs.writeFile(ck(`2025-01-01-${c}`, 'model.bin'), model)
      if (c === 'sidecar')
        await fs.writeFile(
          ck(`2025-01-01-${c}`, 'model.bin.sha256'),
          `${createHash('sha256').update(model).digest('hex')}  model.bin\n`,
        )
      await fs.writeFile(ck(`2025-01-01-${c}`, 'opt', 'state.bin'), randomBytes(4096))
    }
    const adopt = await exp(['verify', '--adopt', ...CASES], {cwd: ws})
    assert.equal(adopt.code, 0, adopt.stderr + adopt.stdout)
    assert.match(adopt.stdout, /-good\/checkpoints\/r1: adopted \(2 files/)
  })
  after(async () => removeDir(ws))

  it('a good checkpoint: exit 0, full and quick; the manifest says it was adopted', async () => {
    for (const args of [
      ['verify', 'good'],
      ['verify', 'good', '--quick'],
    ]) {
      const r = await exp(args, {cwd: ws})
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.equal(r.stdout.trim(), '')
    }
    const manifest = JSON.parse(await fs.readFile(ck('2025-01-01-good', 'MANIFEST.json'), 'utf8'))
    assert.equal(manifest.adopted, true)
    assert.deepEqual(
      manifest.files.map((f: any) => [f.path, f.size]),
      [
        ['model.bin', MiB],
        ['opt/state.bin', 4096],
      ],
    )
  })

  const corrupt: Record<string, {damage: (name: string) => Promise<void>; line: string; quickState: string}> = {
    badjson: {
      damage: (n) => fs.writeFile(ck(n, 'MANIFEST.json'), '{"format": "exp-checkpoint-manifest", "files": ['),
      line: 'checkpoints/r1/MANIFEST.json: does not parse',
      quickState: 'corrupt',
    },
    byte: {
      async damage(n) {
        const h = await fs.open(ck(n, 'model.bin'), 'r+')
        const b = Buffer.alloc(1)
        await h.read(b, 0, 1, 4242)
        b[0] ^= 0xff
        await h.write(b, 0, 1, 4242)
        await h.close()
      },
      line: 'checkpoints/r1/model.bin: sha256 differs',
      quickState: 'committed', // the quick state reads no content
    },
    deleted: {
      damage: (n) => fs.rm(ck(n, 'opt', 'state.bin')),
      line: 'checkpoints/r1/opt/state.bin: missing',
      quickState: 'corrupt',
    },
    extra: {
      damage: (n) => fs.writeFile(ck(n, 'opt', 'stray.pt'), 'x'),
      line: 'checkpoints/r1/opt/stray.pt: extra',
      quickState: 'corrupt',
    },
    nomanifest: {
      damage: (n) => fs.rm(ck(n, 'MANIFEST.json')),
      line: `checkpoints/r1: ${NO_MANIFEST}`,
      quickState: 'uncommitted',
    },
    sidecar: {
      // an engine's sha256sum sidecar that disagrees with the file and the manifest (same length, so only its content differs)
      damage: (n) => fs.writeFile(ck(n, 'model.bin.sha256'), `${'0'.repeat(64)}  model.bin\n`),
      line: 'checkpoints/r1/model.bin: sha256 differs from its sidecar model.bin.sha256',
      quickState: 'corrupt',
    },
    symlink: {
      damage: (n) => fs.symlink('/etc/hostname', ck(n, 'opt', 'link.bin')),
      line: 'checkpoints/r1/opt/link.bin: symlink pointing outside the experiment',
      quickState: 'corrupt',
    },
    truncated: {
      damage: (n) => fs.truncate(ck(n, 'model.bin'), MiB / 2),
      line: `checkpoints/r1/model.bin: size ${MiB / 2} ≠ ${MiB}`,
      quickState: 'corrupt',
    },
    zero: {
      damage: (n) => fs.truncate(ck(n, 'model.bin'), 0),
      line: `checkpoints/r1/model.bin: size 0 ≠ ${MiB}`,
      quickState: 'corrupt',
    },
  }

  for (const [c, {damage, line}] of Object.entries(corrupt)) {
    it(`${c}: one line naming the file, exit 1, nothing modified`, async () => {
      const name = `2025-01-01-${c}`
      await damage(name)
      const before = await treeSnapshot(ws)
      const r = await exp(['verify', c], {cwd: ws})
      assert.equal(r.code, 1, r.stdout + r.stderr)
      const lines = r.stdout.trim().split('\n')
      // the damaged sidecar is itself a file of the manifest, so its own sha256 differs too
      assert.equal(lines.length, c === 'sidecar' ? 2 : 1, r.stdout)
      assert.ok(
        lines.some((l) => l.startsWith(`${name}: ${line}`)),
        `${r.stdout}\n  expected: ${name}: ${line}`,
      )
      assert.match(r.stderr, /1 checkpoint: 0 good, 1 with problems/)
      assert.deepEqual(await treeSnapshot(ws), before)
    })
  }

  it('--all --json lists every checkpoint with its state; exit 1 with one problem per damaged one', async () => {
    const {code, json} = await expJson(['verify', '--all'], {cwd: ws})
    assert.equal(code, 1)
    const states = Object.fromEntries(json.checkpoints.map((c: any) => [c.experiment.slice(11), c.state]))
    assert.deepEqual(states, {
      ...Object.fromEntries(Object.keys(corrupt).map((c) => [c, c === 'nomanifest' ? 'uncommitted' : 'corrupt'])),
      good: 'committed',
    })
    assert.equal(json.problems.length, Object.keys(corrupt).length + 1) // + the sidecar's own sha256
  })

  it("exp list --json and exp show --json carry each checkpoint's quick state (no hashing)", async () => {
    const {code, json} = await expJson(['list'], {cwd: ws})
    assert.equal(code, 0)
    const states = Object.fromEntries(
      json.experiments.map((e: any) => [e.slug, e.checkpoints.map((c: any) => c.state).join()]),
    )
    for (const [c, {quickState}] of Object.entries(corrupt)) assert.equal(states[c], quickState, c)
    assert.equal(states.good, 'committed')
    const show = await expJson(['show', 'truncated'], {cwd: ws})
    assert.deepEqual(show.json.checkpoints, [
      {path: 'checkpoints/r1', problems: [`model.bin: size ${MiB / 2} ≠ ${MiB}`], run_id: 'r1', state: 'corrupt'},
    ])
  })

  it('usage: no name and no --all, or --adopt without a name, is exit 2', async () => {
    assert.equal((await exp(['verify'], {cwd: ws})).code, 2)
    assert.equal((await exp(['verify', '--adopt', '--all'], {cwd: ws})).code, 2)
  })
})

describe('exp launch: the manifest is the commit, and evaluate refuses a broken checkpoint', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string
  before(async () => {
    ws = await tempWorkspace()
    const r = await exp(['new', 'burgers'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => removeDir(ws))

  it("a completed train commits MANIFEST.json (with the engine's sidecar) and records hashing in the run", async () => {
    const {code, json} = await expJson(['launch', 'burgers'], {cwd: ws})
    assert.equal(code, 0, JSON.stringify(json))
    const train = json.record.stages.find((s: any) => s.name === 'train')
    assert.equal(train.checkpoint.path, `checkpoints/${json.run_id}`)
    assert.equal(train.checkpoint.files, 3)
    assert.ok(train.checkpoint.bytes > 0 && train.checkpoint.hash_ms >= 0)
    assert.deepEqual(train.checkpoint.warnings, [])
    const dir = path.join(ws, json.run_dir.replace(/^.*runs\//, 'experiments/' + json.experiment + '/checkpoints/'))
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'MANIFEST.json'), 'utf8'))
    assert.equal(manifest.run_id, json.run_id)
    assert.equal(manifest.stage, 'train')
    assert.equal(manifest.adopted, false)
    assert.match(manifest.config_sha256, /^[\da-f]{64}$/)
    assert.deepEqual(manifest.argv, train.command)
    assert.deepEqual(
      manifest.files.map((f: any) => f.path),
      ['model.json', 'model.json.sha256.json', 'train_summary.json'],
    )
    assert.equal((await exp(['verify', 'burgers'], {cwd: ws})).code, 0)
  })

  it("exp promote names the run's checkpoint and its manifest sha256 in metadata.json and the production header", async () => {
    const [run] = (await expJson(['runs', 'burgers'], {cwd: ws})).json.runs
    const r = await exp(['promote', 'burgers', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const manifest = await fs.readFile(
      path.join(ws, 'experiments', run.experiment, 'checkpoints', run.run_id, 'MANIFEST.json'),
    )
    const sha = createHash('sha256').update(manifest).digest('hex')
    const metadata = JSON.parse(
      await fs.readFile(path.join(ws, 'experiments', run.experiment, 'metadata.json'), 'utf8'),
    )
    assert.deepEqual(metadata.promotions[0].checkpoint, {
      manifest_sha256: sha,
      path: `checkpoints/${run.run_id}`,
      state: 'committed',
    })
    const production = await fs.readFile(path.join(ws, 'configs', 'train_burgers.yaml'), 'utf8')
    assert.ok(
      production.includes(
        `# checkpoint: experiments/${run.experiment}/checkpoints/${run.run_id} (manifest sha256 ${sha})\n`,
      ),
      production.slice(0, 800),
    )
  })

  it('an evaluate on a corrupted checkpoint does not start the engine; the reason names the file', async () => {
    const [first] = (await expJson(['runs', 'burgers'], {cwd: ws})).json.runs
    const model = path.join(ws, 'experiments', first.experiment, 'checkpoints', first.run_id, 'model.json')
    await fs.truncate(model, 100)
    const {code, json} = await expJson(['launch', 'burgers', '--stage', 'evaluate'], {cwd: ws})
    assert.equal(code, 1)
    const evaluate = json.record.stages.find((s: any) => s.name === 'evaluate')
    assert.equal(evaluate.state, 'failed')
    assert.equal(evaluate.pid, undefined, 'the engine was never started')
    assert.match(evaluate.reason, new RegExp(`checkpoints/${first.run_id}/model\\.json: size 100 ≠ \\d+`))
    assert.equal(
      existsSync(path.join(ws, 'experiments', first.experiment, json.record.report)),
      false,
      'no report written',
    )
    assert.equal(existsSync(path.join(ws, 'experiments', first.experiment, evaluate.log)), false, 'no engine output')
  })
})

describe('exp archive / exp restore across filesystems check checkpoints against their manifests', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string
  let archive: string
  before(async function () {
    ws = await tempWorkspace()
    const other = existsSync('/dev/shm') ? statSync('/dev/shm').dev : undefined
    requireTool(
      this,
      other !== undefined && other !== statSync(ws).dev,
      'a tmpfs at /dev/shm on another filesystem than the temporary folder',
    )
    archive = await fs.mkdtemp(path.join('/dev/shm', 'exp-verify-archive-'))
    await fs.writeFile(path.join(ws, 'exp.yaml'), `paths:\n  archive: ${archive}\n`)
    for (const name of ['2025-01-01-fine', '2025-01-01-rotten']) {
      const dir = await makeExperiment(ws, name, {
        'checkpoints/r1/model.bin': randomBytes(64 * 1024).toString('base64'),
        'notes.md': 'Status: ✓\n',
      })
      assert.ok(existsSync(dir))
    }
    assert.equal((await exp(['verify', '--adopt', 'fine', 'rotten'], {cwd: ws})).code, 0)
  })
  after(async () => {
    await removeDir(ws)
    await removeDir(archive)
  })

  it('a checkpoint that no longer matches its manifest is not moved: exit 1, the source stays whole', async () => {
    const model = path.join(ws, 'experiments', '2025-01-01-rotten', 'checkpoints', 'r1', 'model.bin')
    const text = await fs.readFile(model, 'utf8')
    await fs.writeFile(model, (text[0] === 'A' ? 'B' : 'A') + text.slice(1)) // one byte changed, same size
    const before = await treeSnapshot(path.join(ws, 'experiments', '2025-01-01-rotten'))
    const r = await exp(['archive', 'rotten', '--yes'], {cwd: ws})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(
      r.stdout + r.stderr,
      /does not match its checkpoint manifest \(checkpoints\/r1\/model\.bin: sha256 differs/,
    )
    assert.deepEqual(await treeSnapshot(path.join(ws, 'experiments', '2025-01-01-rotten')), before)
    assert.equal(existsSync(path.join(archive, '2025-01-01-rotten')), false)
  })

  it('a good one is archived and restored across filesystems, its manifest still checking out', async () => {
    assert.equal((await exp(['archive', 'fine', '--yes'], {cwd: ws})).code, 0)
    assert.ok(existsSync(path.join(archive, '2025-01-01-fine', 'checkpoints', 'r1', 'MANIFEST.json')))
    const archived = await expJson(['verify', '--all', '--archived'], {cwd: ws})
    assert.deepEqual(
      archived.json.checkpoints.filter((c: any) => c.location === 'archive').map((c: any) => c.state),
      ['committed'],
    )
    const r = await exp(['restore', 'fine', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await exp(['verify', 'fine'], {cwd: ws})).code, 0)
  })
})

import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, removeDir, tempDir, tempWorkspace, treeSnapshot, writeTree} from '../support/exp.js'
import {terminalScreen} from '../support/terminal.js'

describe('exp init', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let dir: string
  afterEach(() => removeDir(dir))

  it('creates exp.yaml, the four folders with READMEs, the golden config and .gitignore lines', async () => {
    dir = await tempDir()
    const r = await exp(['init', 'ws'], {cwd: dir})
    assert.equal(r.code, 0, r.stderr)
    const ws = path.join(dir, 'ws')
    for (const f of [
      'exp.yaml',
      'experiments/README.md',
      'experiments-archive/README.md',
      'configs/README.md',
      'reports/README.md',
      'configs/train_burgers_golden.yaml',
    ]) {
      assert.ok(existsSync(path.join(ws, f)), f)
    }
    const gitignore = await fs.readFile(path.join(ws, '.gitignore'), 'utf8')
    assert.match(gitignore, /^experiments\/\*\/checkpoints\/$/m)
    const rules = gitignore.split('\n').filter((l) => l && !l.startsWith('#'))
    assert.ok(
      rules.every((l) => !/config\.yaml|notes\.md|metadata\.json|\*\.json|\*\.yaml/.test(l)),
      'the record stays in git',
    )
  })

  it('is idempotent and never overwrites a user file', async () => {
    dir = await tempDir()
    await writeTree(dir, {
      '.gitignore': 'node_modules/',
      'exp.yaml': 'classification:\n  stale_days: 7\n',
      'configs/README.md': 'mine',
    })
    assert.equal((await exp(['init'], {cwd: dir})).code, 0)
    const first = await treeSnapshot(dir)
    assert.equal(await fs.readFile(path.join(dir, 'exp.yaml'), 'utf8'), 'classification:\n  stale_days: 7\n')
    assert.equal(await fs.readFile(path.join(dir, 'configs/README.md'), 'utf8'), 'mine')
    assert.match(await fs.readFile(path.join(dir, '.gitignore'), 'utf8'), /^node_modules\/\n/)
    const again = await expJson(['init'], {cwd: dir})
    assert.equal(again.code, 0)
    assert.deepEqual(again.json.created, [])
    assert.deepEqual(await treeSnapshot(dir), first)
  })
})

describe('exp new', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await tempWorkspace()
  })
  afterEach(() => removeDir(ws))

  it('creates a dated experiment with config, notes (real diff) and metadata', async () => {
    const r = await expJson(
      ['new', 'test-64dim', '--date', '2025-01-22', '--set', 'model.latent_dim=64', '--hypothesis', 'wider is better'],
      {cwd: ws},
    )
    assert.equal(r.code, 0, r.stderr)
    const dir = path.join(ws, 'experiments', '2025-01-22-test-64dim')
    const config = await fs.readFile(path.join(dir, 'config.yaml'), 'utf8')
    const golden = await fs.readFile(path.join(ws, 'configs', 'train_burgers_golden.yaml'), 'utf8')
    assert.match(config, /latent_dim: 64/)
    // comments of the base config are kept
    const firstComment = golden.split('\n').find((l) => l.trim().startsWith('#'))
    if (firstComment) assert.ok(config.includes(firstComment.trim()))
    const notes = await fs.readFile(path.join(dir, 'notes.md'), 'utf8')
    assert.match(notes, /## Hypothesis\n\nwider is better/)
    assert.match(notes, /`model\.latent_dim`: \d+ → 64/)
    assert.match(notes, /## Results/)
    const meta = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8'))
    assert.equal(meta.name, '2025-01-22-test-64dim')
    assert.equal(meta.base_config.path, 'configs/train_burgers_golden.yaml')
    assert.match(meta.base_config.sha256, /^[0-9a-f]{64}$/)
    assert.equal(meta.hypothesis, 'wider is better')
    assert.equal(meta.git, null)
    assert.ok(!Number.isNaN(Date.parse(meta.created_at)))
    // nothing else left behind (no temporary folders)
    assert.deepEqual((await fs.readdir(path.join(ws, 'experiments'))).sort(), ['2025-01-22-test-64dim', 'README.md'])
  })

  it('records the git commit when the workspace is a git checkout', async () => {
    const {execa} = await import('execa')
    await execa('git', ['init', '-q'], {cwd: ws})
    await execa('git', ['-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '--allow-empty', '-m', 'x'], {
      cwd: ws,
    })
    const head = (await execa('git', ['rev-parse', 'HEAD'], {cwd: ws})).stdout.trim()
    assert.equal((await exp(['new', 'g', '--date', '2025-01-01'], {cwd: ws})).code, 0)
    const meta = JSON.parse(await fs.readFile(path.join(ws, 'experiments/2025-01-01-g/metadata.json'), 'utf8'))
    assert.equal(meta.git.commit, head)
  })

  it('works from a subfolder and with --from naming a config in configs/', async () => {
    await writeTree(ws, {'configs/small.yaml': 'model:\n  latent_dim: 4\n'})
    const sub = path.join(ws, 'experiments')
    const r = await exp(['new', 'small', '--from', 'small', '--date', '2025-02-02'], {cwd: sub})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      await fs.readFile(path.join(ws, 'experiments/2025-02-02-small/config.yaml'), 'utf8'),
      'model:\n  latent_dim: 4\n',
    )
  })

  for (const bad of ['../escape', 'a/b', 'has space', 'x..y', 'bad*name']) {
    it(`refuses the name ${JSON.stringify(bad)} and writes nothing`, async () => {
      const before = await treeSnapshot(ws)
      const r = await exp(['new', bad], {cwd: ws})
      assert.equal(r.code, 2)
      assert.match(r.stderr, /^Error: invalid experiment name/)
      assert.equal(r.stderr.trim().split('\n').length, 1)
      assert.deepEqual(await treeSnapshot(ws), before)
    })
  }

  it('never overwrites an existing experiment', async () => {
    assert.equal((await exp(['new', 'dup', '--date', '2025-01-01'], {cwd: ws})).code, 0)
    const notes = path.join(ws, 'experiments/2025-01-01-dup/notes.md')
    await fs.writeFile(notes, 'my notes')
    const r = await exp(['new', 'dup', '--date', '2025-01-01'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /already exists/)
    assert.equal(await fs.readFile(notes, 'utf8'), 'my notes')
  })

  it('the next mutating command removes the hidden folder a killed exp new left behind', async () => {
    // exp's own: it holds the marker exp writes first (a .new-* folder without it is a person's, left alone)
    const leftover = path.join(ws, 'experiments', '.new-2025-01-01-killed-1a2b3c4d')
    await writeTree(leftover, {'.exp-new-in-progress': '.new-2025-01-01-killed-1a2b3c4d\n', 'config.yaml': 'a: 1\n'})
    assert.equal((await exp(['new', 'after', '--date', '2025-01-02'], {cwd: ws})).code, 0)
    assert.ok(!existsSync(leftover))
  })

  it('without NAME and without a terminal fails and names the missing argument', async () => {
    const r = await exp(['new'], {cwd: ws})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /missing argument NAME/)
  })

  it('asks for the name, base config and hypothesis on a terminal', async function () {
    // a real pseudo-terminal through util-linux `script`
    const {execa} = await import('execa')
    const {EXP_BIN} = await import('../support/exp.js')
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(EXP_BIN)} new`
    const child = execa('script', ['-qfec', cmd, '/dev/null'], {cwd: ws, env: {TERM: 'xterm'}, reject: false})
    const screen = terminalScreen(child)
    const send = async (prompt: string, text: string) => {
      await screen.shows(prompt)
      child.stdin!.write(text)
    }
    await send('Experiment name', 'prompted-one\r')
    await send('Base config', '\r') // default base config
    await send('Hypothesis', 'terminals are fine\r')
    const result = await child
    assert.equal(result.exitCode, 0, String(result.stdout))
    const meta = JSON.parse(
      await fs.readFile(
        path.join(
          ws,
          'experiments',
          (await fs.readdir(path.join(ws, 'experiments'))).find((n) => n.endsWith('prompted-one'))!,
          'metadata.json',
        ),
        'utf8',
      ),
    )
    assert.equal(meta.hypothesis, 'terminals are fine')
  })

  it('refuses a malformed base config and an unknown --from, writing nothing', async () => {
    await writeTree(ws, {'configs/broken.yaml': 'model: [1, 2\n'})
    const before = await treeSnapshot(ws)
    const r1 = await exp(['new', 'x', '--from', 'configs/broken.yaml'], {cwd: ws})
    assert.equal(r1.code, 1)
    assert.match(r1.stderr, /^Error: invalid YAML in .*broken\.yaml \(line \d+\)/)
    assert.doesNotMatch(r1.stderr, /at .*\.js:\d+/)
    const r2 = await exp(['new', 'x', '--from', 'nope.yaml'], {cwd: ws})
    assert.equal(r2.code, 1)
    assert.match(r2.stderr, /base config "nope.yaml" not found/)
    const r3 = await exp(['new', 'x', '--set', 'oops'], {cwd: ws})
    assert.equal(r3.code, 2)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('refuses --set of a key the base config does not have (names the closest; --add is for new keys)', async () => {
    const r = await exp(['new', 'typo', '--set', 'model.latent_dimm=3'], {cwd: ws})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--set model\.latent_dimm: the base config has no such key \(closest: model\.latent_dim\)/)
  })
})

describe('workspace discovery and exp.yaml validation', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let dir: string
  afterEach(() => removeDir(dir))

  it('outside a workspace every command says so and suggests exp init', async () => {
    dir = await tempDir()
    for (const args of [['list'], ['new', 'x'], ['show', 'x']]) {
      const r = await exp(args, {cwd: dir})
      assert.equal(r.code, 1, args.join(' '))
      assert.match(r.stderr, /not inside an exp workspace.*Try: exp init/)
    }
  })

  it('--root and EXP_ROOT point at a workspace from elsewhere', async () => {
    dir = await tempWorkspace()
    const elsewhere = path.dirname(dir)
    assert.equal((await exp(['new', 'r1', '--root', dir], {cwd: elsewhere})).code, 0)
    const r = await expJson(['list'], {cwd: elsewhere, env: {EXP_ROOT: dir}})
    assert.equal(r.json.experiments.length, 1)
  })

  const cases: Array<[string, string, RegExp]> = [
    ['an unknown key', 'paths:\n  experimets: exps\n', /unknown key "paths\.experimets"/],
    ['a wrong type', 'classification:\n  stale_days: soon\n', /"classification\.stale_days": .*number/i],
    ['invalid YAML', 'paths: [\n', /invalid YAML in .*exp\.yaml \(line \d+\)/],
    [
      'an unknown engine placeholder',
      'engines:\n  train: [python3, t.py, "{confg}"]\n  evaluate: [python3, e.py]\n',
      /placeholder \{confg\}/,
    ],
  ]
  for (const [what, text, pattern] of cases) {
    it(`a malformed exp.yaml (${what}) is a one-line error naming the file, and nothing changes`, async () => {
      dir = await tempWorkspace()
      await fs.writeFile(path.join(dir, 'exp.yaml'), text)
      const before = await treeSnapshot(dir)
      for (const args of [['list'], ['new', 'x']]) {
        const r = await exp(args, {cwd: dir})
        assert.equal(r.code, 1)
        assert.match(r.stderr, pattern)
        assert.match(r.stderr, /exp\.yaml/)
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      }
      assert.deepEqual(await treeSnapshot(dir), before)
    })
  }

  it('DEBUG shows nothing more for expected errors but the stack of a bug', async () => {
    dir = await tempDir()
    const r = await exp(['list'], {cwd: dir, env: {DEBUG: '1'}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /not inside an exp workspace/)
  })
})

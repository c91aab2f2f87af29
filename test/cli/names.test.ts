import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, exp, inProcess, removeDir, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * Names (README "Names"): an unknown experiment gets a did-you-mean; a path works wherever NAME does; an unknown
 * command is one line with the closest command, never a prompt that runs something on Enter.
 */
describe('names: did-you-mean, paths, unknown commands', function () {
  this.timeout(120_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  const dated = '2026-01-05-lat2'

  before(async () => {
    ws = await tempWorkspace()
    for (const args of [
      ['new', 'lat2', '--date', '2026-01-05'],
      ['new', 'sweepy', '--date', '2026-01-06', '--grid', 'model.latent_dim=4,8'],
      ['new', 'old-one', '--date', '2026-01-01'],
    ]) {
      const r = await exp(args, {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    await fs.rename(
      path.join(ws, 'experiments', '2026-01-01-old-one'),
      path.join(ws, 'experiments-archive', '2026-01-01-old-one'),
    )
  })
  after(() => removeDir(ws))

  it('an unknown name says which known one is closest (active or archived), in one line', async () => {
    const r = await exp(['show', 'lat3'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.match(r.stderr, /no experiment named "lat3"\. Did you mean "lat2"\?/)
    const archived = await exp(['show', 'old-on'], {cwd: ws})
    assert.match(archived.stderr, /Did you mean "old-one"\?/)
    const far = await exp(['show', 'completely-different'], {cwd: ws})
    assert.doesNotMatch(far.stderr, /Did you mean/)
  })

  it('a path works where NAME does: experiments/<name>/ (tab-completed), ., ./x, a variant folder', async () => {
    const fromRoot = await exp(['show', `experiments/${dated}/`, '--json'], {cwd: ws})
    assert.equal(fromRoot.code, 0, fromRoot.stderr)
    assert.equal(JSON.parse(fromRoot.stdout).name, dated)
    const dot = await exp(['show', '.', '--json'], {cwd: path.join(ws, 'experiments', dated)})
    assert.equal(dot.code, 0, dot.stderr)
    assert.equal(JSON.parse(dot.stdout).name, dated)
    const rel = await exp(['show', `./${dated}`, '--json'], {cwd: path.join(ws, 'experiments')})
    assert.equal(JSON.parse(rel.stdout).name, dated)
    const variants = (await fs.readdir(path.join(ws, 'experiments', '2026-01-06-sweepy'), {withFileTypes: true}))
      .filter((e) => e.isDirectory() && e.name !== 'reports')
      .map((e) => e.name)
    const variant = await exp(['show', '.', '--json'], {
      cwd: path.join(ws, 'experiments', '2026-01-06-sweepy', variants[0]),
    })
    assert.equal(variant.code, 0, variant.stderr)
    assert.match(variant.stdout, new RegExp(variants[0]))
  })

  it('exp launch . inside an experiment folder launches that experiment (dry run)', async () => {
    const r = await exp(['launch', '.', '--dry-run', '--json'], {cwd: path.join(ws, 'experiments', dated)})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(dated))
  })

  it('an unknown command: one line naming the closest command, exit 127; --json: one document', async () => {
    const dir = await tempDir()
    const r = await exp(['lsit'], {cwd: dir})
    assert.equal(r.code, 127)
    assert.equal(r.stderr.trim(), 'Error: "lsit" is not an exp command. Did you mean "exp list"? Try: exp --help')
    const json = await exp(['lsit', '--json'], {cwd: dir})
    assert.equal(json.code, 127)
    assert.equal(JSON.parse(json.stdout).error.exit, 127)
    await removeDir(dir)
  })

  it('on a terminal, Enter after an unknown command runs nothing (it once ran exp init)', async () => {
    const dir = await tempDir()
    // script(1) gives exp a pseudo-terminal; the input is one Enter
    const r = await execa('script', ['-qec', `${process.execPath} ${EXP_BIN} lsit`, '/dev/null'], {
      cwd: dir,
      env: {EXP_ROOT: undefined},
      input: '\n',
      reject: false,
      timeout: 30_000,
    })
    assert.equal(existsSync(path.join(dir, 'exp.yaml')), false, `exp init ran: ${r.stdout}`)
    assert.match(String(r.stdout), /Did you mean "exp list"/)
    await removeDir(dir)
  })

  it('exp new --set/--grid refuse a key not in the base config, naming the closest; --add adds it', async () => {
    const before = await fs.readdir(path.join(ws, 'experiments'))
    const typo = await exp(['new', 'typo', '--set', 'model.latent_dm=4'], {cwd: ws})
    assert.equal(typo.code, 2)
    assert.equal(typo.stderr.trim().split('\n').length, 1)
    assert.match(typo.stderr, /--set model\.latent_dm: the base config has no such key \(closest: model\.latent_dim\)/)
    const grid = await exp(['new', 'typo-grid', '--grid', 'model.latent_dm=4,8'], {cwd: ws})
    assert.equal(grid.code, 2)
    assert.match(grid.stderr, /--grid model\.latent_dm: .*closest: model\.latent_dim/)
    assert.deepEqual(await fs.readdir(path.join(ws, 'experiments')), before, 'nothing written')
    const added = await exp(['new', 'with-extra', '--add', 'model.dropout=0.1', '--json'], {cwd: ws})
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(JSON.parse(added.stdout).new_keys, ['model.dropout'])
  })
})

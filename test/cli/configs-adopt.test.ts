import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {age, exp, expJson, inProcess, removeDir, tempWorkspace, treeSnapshot, writeTree} from '../support/exp.js'

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

/** exp new + a passing report + exp promote: a real promoted production config. */
async function promoted(ws: string, name: string, set: string): Promise<void> {
  assert.equal((await exp(['new', name, '--date', '2025-05-01', '--set', set], {cwd: ws})).code, 0)
  await writeTree(path.join(ws, 'experiments', `2025-05-01-${name}`), {
    'reports/eval.json': {final_nrmse: 0.04, gates_passed: true},
  })
  const r = await exp(['promote', name, '--auto-promote', '--force'], {cwd: ws})
  assert.equal(r.code, 0, r.stderr)
}

describe('exp configs and exp adopt', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(90_000)
  let ws: string
  const leftover = {
    'configs/train_burgers_experimental.yaml': 'model:\n  latent_dim: 32   # trying this\n',
    'configs/train_burgers_experimental_v2.yaml': 'model:\n  latent_dim: 48\ntraining: {epochs: 10}\n',
  }
  before(async () => {
    ws = await tempWorkspace()
    await promoted(ws, 'p1', 'model.latent_dim=16')
    // promoted again after a change: the first version is kept in configs/.history/
    const p1 = path.join(ws, 'experiments', '2025-05-01-p1', 'config.yaml')
    await fs.writeFile(p1, (await fs.readFile(p1, 'utf8')).replace('latent_dim: 16', 'latent_dim: 20'))
    assert.equal((await exp(['promote', 'p1', '--auto-promote', '--force'], {cwd: ws})).code, 0)
    await promoted(ws, 'p2', 'model.latent_dim=24')
    const p2 = path.join(ws, 'configs', 'train_p2.yaml')
    await fs.writeFile(p2, (await fs.readFile(p2, 'utf8')).replace('latent_dim: 24', 'latent_dim: 25'))
    await writeTree(ws, leftover)
    await age(path.join(ws, 'configs', 'train_burgers_experimental.yaml'), 60) // an old one: its experiment is stale
  })
  after(() => removeDir(ws))

  it('exp configs labels each config: base config, promoted, edited since promotion, no provenance; history and experiments', async () => {
    const r = await expJson(['configs'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const by = Object.fromEntries(r.json.configs.map((c: any) => [c.file, c]))
    assert.deepEqual(Object.keys(by).sort(), [
      'configs/train_burgers_experimental.yaml',
      'configs/train_burgers_experimental_v2.yaml',
      'configs/train_burgers_golden.yaml',
      'configs/train_p1.yaml',
      'configs/train_p2.yaml',
    ])
    assert.equal(by['configs/train_burgers_golden.yaml'].label, 'base config')
    assert.equal(by['configs/train_burgers_golden.yaml'].experiments, 2, 'p1 and p2 were created from it')
    assert.equal(by['configs/train_p1.yaml'].label, 'promoted')
    assert.equal(by['configs/train_p1.yaml'].provenance.experiment, '2025-05-01-p1')
    assert.match(by['configs/train_p1.yaml'].provenance.promoted_at, /^\d{4}-\d{2}-\d{2}T/)
    assert.match(by['configs/train_p1.yaml'].provenance.metric, /^final_nrmse: 0\.04 /)
    assert.equal(by['configs/train_p1.yaml'].history.length, 1)
    assert.match(by['configs/train_p1.yaml'].history[0], /^configs\/\.history\/train_p1\.\d{8}T\d{6}Z/)
    assert.equal(by['configs/train_p2.yaml'].label, 'edited since promotion')
    assert.equal(by['configs/train_p2.yaml'].provenance.experiment, '2025-05-01-p2')
    assert.equal(by['configs/train_burgers_experimental.yaml'].label, 'no provenance')
    assert.equal(by['configs/train_burgers_experimental_v2.yaml'].provenance, null)
    const table = await exp(['configs'], {cwd: ws})
    assert.match(table.stdout, /^configs\/train_p2\.yaml\s+edited since promotion\s+2025-05-01-p2, /m)
    assert.match(table.stdout, /^configs\/train_p1\.yaml\s+promoted\s+2025-05-01-p1, \S+, final_nrmse: 0\.04\s+1\s+0$/m)
  })

  it('exp configs --check exits 1 naming each problem (the base config is not one)', async () => {
    const r = await exp(['configs', '--check'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Check: configs\/train_p2\.yaml: edited since promotion/)
    assert.match(r.stderr, /Check: configs\/train_burgers_experimental\.yaml: no provenance/)
    assert.doesNotMatch(r.stderr, /golden/)
    const j = await expJson(['configs', '--check'], {cwd: ws})
    assert.equal(j.code, 1)
    assert.equal(j.json.problems.length, 3)
  })

  it('exp adopt: refusals, --dry-run and no terminal without --yes change nothing', async () => {
    const before = await treeSnapshot(ws)
    const noYes = await exp(['adopt', '--pattern', '*_experimental*'], {cwd: ws})
    assert.equal(noYes.code, 2)
    assert.match(noYes.stderr, /needs confirmation and there is no terminal.*--yes/)
    const dry = await exp(['adopt', '--pattern', '*_experimental*', '--dry-run', '--date', '2025-06-01'], {cwd: ws})
    assert.equal(dry.code, 0)
    assert.match(
      dry.stdout,
      /^would adopt configs\/train_burgers_experimental\.yaml → 2025-06-01-migration-train_burgers_experimental\/config\.yaml$/m,
    )
    const refused = await exp(['adopt', 'train_p1.yaml', 'train_burgers_golden.yaml', '--yes'], {cwd: ws})
    assert.equal(refused.code, 1)
    assert.match(refused.stdout, /^refused configs\/train_p1\.yaml: it has exp's provenance header .*--force/m)
    assert.match(refused.stdout, /^refused configs\/train_burgers_golden\.yaml: it is the base config/m)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it("exp adopt --pattern '*_experimental*' --yes moves both into dated experiments exp list shows; production configs untouched", async () => {
    const configsBefore = await treeSnapshot(path.join(ws, 'configs'))
    const r = await exp(['adopt', '--pattern', '*_experimental*', '--yes', '--date', '2025-06-01'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /^adopted configs\/train_burgers_experimental\.yaml → 2025-06-01-migration-train_burgers_experimental\/config\.yaml$/m,
    )
    assert.match(r.stdout, /^adopted configs\/train_burgers_experimental_v2\.yaml → /m)
    assert.match(r.stdout, /Adopted 2, refused 0, skipped 0, failed 0\./)
    const after = await treeSnapshot(path.join(ws, 'configs'))
    for (const key of Object.keys(configsBefore))
      if (!key.includes('_experimental')) assert.equal(after[key], configsBefore[key], `${key} untouched`)
    assert.deepEqual(
      Object.keys(after).filter((k) => k.includes('_experimental')),
      [],
    )

    for (const [file, text] of Object.entries(leftover)) {
      const name = `2025-06-01-migration-${path.basename(file, '.yaml')}`
      const dir = path.join(ws, 'experiments', name)
      assert.equal(sha(await fs.readFile(path.join(dir, 'config.yaml'))), sha(text), `${name}: byte-identical`)
      const metadata = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8'))
      assert.equal(metadata.adopted.from, file)
      assert.equal(metadata.adopted.sha256, sha(text))
      assert.match(await fs.readFile(path.join(dir, 'notes.md'), 'utf8'), new RegExp(`Original: \`${file}\``))
    }
    const list = await expJson(['list'], {cwd: ws})
    const status = Object.fromEntries(list.json.experiments.map((e: any) => [e.name, e.status]))
    assert.equal(status['2025-06-01-migration-train_burgers_experimental'], 'stale', 'the file was 60 days old')
    assert.equal(status['2025-06-01-migration-train_burgers_experimental_v2'], 'active')
    assert.ok(
      !existsSync(path.join(ws, '.exp', 'journal')) ||
        (await fs.readdir(path.join(ws, '.exp', 'journal'))).length === 0,
    )

    const again = await exp(['adopt', '--pattern', '*_experimental*', '--yes'], {cwd: ws})
    assert.equal(again.code, 1)
    assert.match(again.stderr, /no YAML file in configs\/ matches/)
    const check = await expJson(['configs', '--check'], {cwd: ws})
    assert.deepEqual(check.json.problems, ['configs/train_p2.yaml: edited since promotion'])
  })

  it('--force adopts a promoted config; a taken experiment name is refused', async () => {
    const r = await exp(['adopt', 'train_p2.yaml', '--force', '--yes', '--date', '2025-06-02'], {cwd: ws})
    assert.equal(r.code, 0, r.stdout)
    assert.ok(existsSync(path.join(ws, 'experiments', '2025-06-02-migration-train_p2', 'config.yaml')))
    await writeTree(ws, {'configs/train_p2.yaml': 'a: 1\n'})
    const taken = await exp(['adopt', 'train_p2.yaml', '--yes', '--date', '2025-06-02'], {cwd: ws})
    assert.equal(taken.code, 1)
    assert.match(
      taken.stdout,
      /refused configs\/train_p2\.yaml: experiment 2025-06-02-migration-train_p2 already exists/,
    )
  })
})

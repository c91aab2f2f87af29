import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, tempWorkspace, treeSnapshot, writeTree} from '../support/exp.js'
import {rcloneSuite} from '../support/rclone.js'

/**
 * --dry-run on the five commands the flag vocabulary once listed as gaps (graph add, remote push, remote pull,
 * sweep setup, verify --adopt): each says what would change, and the workspace (and the remote) stay byte for byte.
 */
describe('--dry-run on graph add, sweep setup, verify --adopt, remote push and pull', function () {
  this.timeout(60_000)
  const suite = rcloneSuite()
  let ws: string
  const run = (args: string[], cwd = ws) => exp(args, {cwd, env: suite.rc.env})

  before(async () => {
    ws = await tempWorkspace()
    suite.dirs.push(ws)
    for (const args of [
      ['new', 'alpha', '--date', '2026-11-30'],
      ['new', 'sw', '--date', '2026-11-30', '--grid', 'model.latent_dim=4,8'],
    ])
      assert.equal((await run(args)).code, 0)
    await writeTree(ws, {
      'experiments/2026-11-30-alpha/checkpoints/r1/model.pt': 'weights',
      'setup.py': 'import sys\nopen("set-up", "w").write(sys.argv[1])\n',
    })
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      `remote:\n  rclone_remote: "loc:"\n  rclone_root: "${path.join(suite.rc.dir, 'root')}"\nengines:\n  train: [python3, t.py]\n  evaluate: [python3, e.py]\n  setup: [python3, "{workspace}/setup.py", "{variant}"]\n`,
    )
  })

  /** run `args` and assert the workspace did not change */
  async function unchanged(args: string[], code = 0): Promise<{stdout: string; json: any}> {
    const before = await treeSnapshot(ws)
    const r = await run(args)
    assert.equal(r.code, code, r.stderr)
    const json = await expJson(args, {cwd: ws, env: suite.rc.env})
    assert.equal(json.json.dry_run ?? true, true)
    assert.deepEqual(await treeSnapshot(ws), before, `${args.join(' ')} changed the workspace`)
    return {json: json.json, stdout: r.stdout}
  }

  it('graph add --dry-run: the node it would add, no graph file; a clash is still refused', async () => {
    const r = await unchanged([
      'graph',
      'add',
      'base',
      '--action',
      'train',
      '--set',
      'model.latent_dim=16',
      '--dry-run',
    ])
    assert.match(r.stdout, /^Would add train node base \(graph version 0; nothing written\)\.$/m)
    assert.equal(r.json.node.spec.train_config.model.latent_dim, 16)
    assert.equal((await run(['graph', 'add', 'base', '--action', 'noop'])).code, 0)
    const clash = await run(['graph', 'add', 'base', '--action', 'noop', '--dry-run'])
    assert.equal(clash.code, 1)
    assert.match(clash.stderr, /already has a node "base"/)
  })

  it("sweep setup --dry-run: the hook's command in each variant, nothing run", async () => {
    const r = await unchanged(['sweep', 'setup', 'sw', '--only', 'latent-dim8', '--dry-run'])
    assert.match(r.stdout, /^Would run in latent-dim8: python3 \S+setup\.py latent-dim8$/m)
    assert.doesNotMatch(r.stdout, /latent-dim4/)
    assert.deepEqual(
      r.json.would_run.map((w: {variant: string}) => w.variant),
      ['latent-dim8'],
    )
    assert.equal(existsSync(path.join(ws, 'experiments', '2026-11-30-sw', 'latent-dim8', 'set-up')), false)
  })

  it('verify --adopt --dry-run: the checkpoints without a manifest it would adopt, no manifest written (exit 1: still without)', async () => {
    const r = await unchanged(['verify', '--adopt', 'alpha', '--dry-run'], 1)
    assert.match(
      r.stdout,
      /^experiments\/2026-11-30-alpha\/checkpoints\/r1: would be adopted \(no manifest; nothing written\)$/m,
    )
    assert.deepEqual(r.json.would_adopt, ['experiments/2026-11-30-alpha/checkpoints/r1'])
  })

  it('remote push --dry-run copies nothing; remote pull --dry-run (after a real push) lists what it would bring', async () => {
    const push = await unchanged(['remote', 'push', 'alpha', '--dry-run'])
    assert.match(push.stdout, /^2026-11-30-alpha: would push \d+ file\(s\) \(\d+ bytes\) and checkpoint\(s\) r1$/m)
    assert.equal(existsSync(path.join(suite.rc.dir, 'root', 'experiments')), false, 'the remote was written')
    assert.equal((await run(['remote', 'push', 'alpha'])).code, 0)
    const b = await tempWorkspace()
    suite.dirs.push(b)
    await fs.appendFile(
      path.join(b, 'exp.yaml'),
      `remote:\n  rclone_remote: "loc:"\n  rclone_root: "${path.join(suite.rc.dir, 'root')}"\n`,
    )
    const before = await treeSnapshot(b)
    const pull = await run(['remote', 'pull', '--checkpoints', '--dry-run'], b)
    assert.equal(pull.code, 0, pull.stderr)
    assert.match(
      pull.stdout,
      /^2026-11-30-alpha: would add [1-9]\d*, update 0, keep 0 \(local is newer\); checkpoint\(s\) r1$/m,
    )
    assert.deepEqual(await treeSnapshot(b), before)
    const json = await expJson(['remote', 'pull', '--checkpoints', '--dry-run'], {cwd: b, env: suite.rc.env})
    assert.ok(json.json.experiments[0].add.includes('config.yaml'))
    const again = await run(['remote', 'pull', '--dry-run'], ws)
    assert.match(again.stdout, /would add 0, update 0, keep 0/, 'what was just pushed is already here')
  })
})

import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'
import {holdWorkspaceLock} from '../support/held-lock.js'

describe('exp promote racing exp archive', () => {
  let ws: string | undefined
  afterEach(async () => removeDir(ws))

  it('an experiment archived while promote waited for the lock is promoted where it now is, recorded once', async () => {
    ws = await tempWorkspace()
    const dir = await makeExperiment(ws, '2025-01-22-x', {
      'config.yaml': 'model: {latent_dim: 8}\n',
      'reports/eval.json': {final_nrmse: 0.05, gates_passed: true},
    })
    const lock = await holdWorkspaceLock(ws)
    const promote = exp(['promote', 'x', '--threshold', '0.1', '--auto-promote'], {cwd: ws})
    await lock.someoneWaits() // promote has assessed the experiment and waits for the lock
    const archived = path.join(ws, 'experiments-archive', '2025-01-22-x')
    await fs.rename(dir, archived)
    await lock.release()
    const r = await promote
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!existsSync(dir), 'promote recreated the experiment folder')
    const production = await fs.readFile(path.join(ws, 'configs', 'train_x.yaml'), 'utf8')
    assert.match(production, /# source: experiments-archive\/2025-01-22-x\/config\.yaml/)
    assert.match(production, /latent_dim: 8/)
    const metadata = JSON.parse(await fs.readFile(path.join(archived, 'metadata.json'), 'utf8'))
    assert.equal(metadata.promotions.length, 1)
    const rows = (await fs.readFile(path.join(ws, 'reports', 'leaderboard.csv'), 'utf8')).trim().split('\n')
    assert.equal(rows.length, 2)
  })
})

import assert from 'node:assert/strict'
import {existsSync, promises as fs, readFileSync, watch} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {bootId} from '../../src/lib/process-identity.js'
import {exp, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

const until = async (condition: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('exp promote racing exp archive', () => {
  let ws: string | undefined
  afterEach(async () => removeDir(ws))

  it('an experiment archived while promote waited for the lock is promoted where it now is, recorded once', async () => {
    ws = await tempWorkspace()
    const dir = await makeExperiment(ws, '2025-01-22-x', {'config.yaml': 'model: {latent_dim: 8}\n', 'reports/eval.json': {final_nrmse: 0.05, gates_passed: true}})
    const lock = path.join(ws, '.exp', 'lock')
    await fs.mkdir(path.dirname(lock), {recursive: true})
    // the lock held by a live process (this test), as by an archive in progress
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const owner = {boot_id: bootId(), command: 'archive', host: os.hostname(), nonce: 'feedfacefeedface', pid: process.pid, since: new Date().toISOString(), start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}
    await fs.writeFile(lock, JSON.stringify(owner))
    let waiting = false
    const watcher = watch(path.dirname(lock), (_event, file) => {
      if (file && /^lock\.\d+\.[0-9a-f]+\.tmp$/.test(String(file))) waiting = true
    })
    const promote = exp(['promote', 'x', '--threshold', '0.1', '--auto-promote'], {cwd: ws})
    try {
      await until(() => waiting) // promote has assessed the experiment and waits for the lock
    } finally {
      watcher.close()
    }
    const archived = path.join(ws, 'experiments-archive', '2025-01-22-x')
    await fs.rename(dir, archived)
    await fs.rm(lock)
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

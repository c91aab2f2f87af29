import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {loadSettings} from '../../src/workspace/settings-cache.js'

describe('settings cache: exp.yaml validated once per change', () => {
  let dir: string
  let file: string
  let cache: string
  const saved = {build: process.env.EXP_BUILD_ID, cache: process.env.EXP_CACHE_DIR}
  const entries = async () =>
    (await fs.readdir(path.join(cache, 'settings')).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))
  const entryFile = async () => path.join(cache, 'settings', (await entries())[0])

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-settings-cache-'))
    file = path.join(dir, 'exp.yaml')
    cache = path.join(dir, 'cache')
    process.env.EXP_BUILD_ID = 'build-1'
    process.env.EXP_CACHE_DIR = cache
    await fs.writeFile(file, 'classification: {stale_days: 30}\n')
  })
  afterEach(async () => {
    for (const [key, value] of [
      ['EXP_BUILD_ID', saved.build],
      ['EXP_CACHE_DIR', saved.cache],
    ] as const) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    await fs.rm(dir, {force: true, recursive: true})
  })

  it('keeps the validated settings and serves them while the file is unchanged', async () => {
    assert.equal((await loadSettings(file)).classification.stale_days, 30)
    assert.equal((await entries()).length, 1)
    // doctor the entry: if it is served, the file was not parsed again
    const entry = JSON.parse(await fs.readFile(await entryFile(), 'utf8'))
    entry.settings.classification.stale_days = 999
    await fs.writeFile(await entryFile(), JSON.stringify(entry))
    assert.equal((await loadSettings(file)).classification.stale_days, 999)
  })

  it('parses again after any change to the file, even one of the same size', async () => {
    await loadSettings(file)
    await fs.writeFile(file, 'classification: {stale_days: 31}\n')
    assert.equal((await loadSettings(file)).classification.stale_days, 31)
    await fs.writeFile(file, 'classification: {stale_dayz: 31}\n')
    await assert.rejects(loadSettings(file), /stale_dayz/)
  })

  it('parses again for another build of exp (its schema may differ)', async () => {
    await loadSettings(file)
    const entry = JSON.parse(await fs.readFile(await entryFile(), 'utf8'))
    entry.settings.classification.stale_days = 999
    await fs.writeFile(await entryFile(), JSON.stringify(entry))
    process.env.EXP_BUILD_ID = 'build-2'
    assert.equal((await loadSettings(file)).classification.stale_days, 30)
  })

  it('ignores a malformed entry, and works without a cache (no build id, EXP_CACHE_DIR empty, an unwritable folder)', async () => {
    await loadSettings(file)
    await fs.writeFile(await entryFile(), '{"key": ')
    assert.equal((await loadSettings(file)).classification.stale_days, 30)

    delete process.env.EXP_BUILD_ID
    await fs.rm(cache, {force: true, recursive: true})
    assert.equal((await loadSettings(file)).classification.stale_days, 30)
    assert.deepEqual(await entries(), [])

    process.env.EXP_BUILD_ID = 'build-1'
    process.env.EXP_CACHE_DIR = ''
    assert.equal((await loadSettings(file)).classification.stale_days, 30)
    assert.deepEqual(await entries(), [])

    await fs.writeFile(path.join(dir, 'not-a-folder'), '')
    process.env.EXP_CACHE_DIR = path.join(dir, 'not-a-folder')
    assert.equal((await loadSettings(file)).classification.stale_days, 30)
  })
})

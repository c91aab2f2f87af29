import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {commitCheckpoint} from '../../src/checkpoints/commit.js'
import {isKnownTemporary} from '../../src/checkpoints/manifest.js'
import {sha256File} from '../../src/lib/hash.js'
import {hashFiles} from '../../src/lib/hash-pool.js'
import {commitCollected} from '../../src/backends/vast/checkpoint.js'
import {removeDir, tempDir} from '../support/exp.js'

const now = () => new Date('2025-01-22T10:00:00Z')

describe('checkpoint hashing and commits', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('exp-ck-')
  })
  afterEach(async () => removeDir(dir))

  it('the worker pool gives the same sha256 as a plain stream, for empty, small, chunk-sized and odd files; errors per file', async () => {
    const sizes = [0, 1, 4 * 1024 * 1024, 4 * 1024 * 1024 + 7, 9_999_999]
    const files = await Promise.all(
      sizes.map(async (size, i) => {
        const file = path.join(dir, `f${i}`)
        await fs.writeFile(file, randomBytes(size))
        return {file, size}
      }),
    )
    files.push({file: path.join(dir, 'absent'), size: 0})
    const results = await hashFiles(files, {threads: 2})
    for (let i = 0; i < sizes.length; i++) {
      assert.equal(results[i].sha256, await sha256File(files[i].file))
      assert.equal(results[i].bytes, sizes[i])
    }
    assert.equal(results.at(-1)!.error, 'ENOENT')
  })

  it('a commit flags an empty folder and 0-byte files in its warnings', async () => {
    const empty = await commitCheckpoint({argv: null, experimentDir: dir, now, runId: 'r0', stage: 'train'})
    assert.deepEqual(empty.warnings, ['the checkpoint folder is empty'])
    await fs.writeFile(path.join(dir, 'checkpoints', 'r0', 'zero.bin'), '')
    await fs.rm(path.join(dir, 'checkpoints', 'r0', 'MANIFEST.json'))
    assert.deepEqual(
      (await commitCheckpoint({argv: null, experimentDir: dir, now, runId: 'r0', stage: 'train'})).warnings,
      ['zero.bin: 0 bytes'],
    )
    assert.ok(isKnownTemporary('.MANIFEST.json.4242.0a1b2c3d.tmp'))
    assert.ok(!isKnownTemporary('MANIFEST.json.bak'))
  })

  it("vast collect: a checkpoint that arrived different from the instance's sha256 is left uncommitted, naming the file", async () => {
    const ck = path.join(dir, 'checkpoints', 'r1')
    await fs.mkdir(ck, {recursive: true})
    await fs.writeFile(path.join(ck, 'model.bin'), 'weights')
    const right = `${await sha256File(path.join(ck, 'model.bin'))}  ./model.bin\n`
    const ok = await commitCollected({
      argv: ['train'],
      checkpoint: 'checkpoints/r1',
      experimentDir: dir,
      now,
      sums: right,
    })
    assert.equal(ok.files, 1)
    const wrong = `${'1'.repeat(64)}  ./model.bin\n`
    await assert.rejects(
      commitCollected({argv: ['train'], checkpoint: 'checkpoints/r1', experimentDir: dir, now, sums: wrong}),
      /checkpoints\/r1\/model\.bin: sha256 differs from the instance's/,
    )
    assert.equal(existsSync(path.join(ck, 'MANIFEST.json')), false)
  })
})

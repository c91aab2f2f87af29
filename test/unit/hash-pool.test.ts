import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {hashFiles, INLINE_BYTES} from '../../src/lib/hash-pool.js'
import {removeDir, tempDir} from '../support/exp.js'

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

// A small checkpoint is hashed in this thread, a large one by the worker threads: both give the same answers.
describe('hash pool: in this thread below INLINE_BYTES, worker threads above', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('exp-hash-pool-')
  })
  afterEach(async () => removeDir(dir))

  for (const [label, bigBytes] of [
    ['small (in this thread)', 1000],
    ['large (worker threads)', INLINE_BYTES + 5 * 1024 * 1024 + 7],
  ] as const) {
    it(`${label}: every file's sha256 and size, unreadable files named by their error, progress adds up`, async () => {
      const big = randomBytes(bigBytes)
      const small = Buffer.from('hello\n')
      await fs.writeFile(path.join(dir, 'big.bin'), big)
      await fs.writeFile(path.join(dir, 'small.txt'), small)
      await fs.writeFile(path.join(dir, 'empty'), '')
      let progress = 0
      const files = [
        {file: path.join(dir, 'small.txt'), size: small.length},
        {file: path.join(dir, 'missing'), size: 1},
        {file: path.join(dir, 'big.bin'), size: big.length},
        {file: path.join(dir, 'empty'), size: 0},
      ]
      const results = await hashFiles(files, {onProgress: (bytes) => (progress += bytes)})
      assert.deepEqual(results, [
        {bytes: small.length, sha256: sha(small)},
        {error: 'ENOENT'},
        {bytes: big.length, sha256: sha(big)},
        {bytes: 0, sha256: sha(Buffer.alloc(0))},
      ])
      assert.equal(progress, big.length + small.length)
    })
  }
})

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {commitCheckpoint, gitCommit} from '../../src/checkpoints/commit.js'
import {removeDir, tempDir} from '../support/exp.js'

const now = () => new Date('2025-01-22T10:00:00Z')

// The manifest's git commit: HEAD when the experiment is inside a work tree, null (without running git) outside one.
describe('checkpoint manifest: git commit', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('exp-ck-git-')
  })
  afterEach(async () => removeDir(dir))

  it('is HEAD inside a git work tree (from a sub-folder too), null outside one, and a lookup started earlier is used', async () => {
    const experiment = path.join(dir, 'experiments', '2025-01-22-a')
    await fs.mkdir(path.join(experiment, 'checkpoints', 'r1'), {recursive: true})
    await fs.writeFile(path.join(experiment, 'config.yaml'), 'seed: 0\n')
    assert.equal(await gitCommit(experiment), null)
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], {cwd: dir, encoding: 'utf8'}).trim()
    git('init', '-q')
    git('add', '.')
    git('commit', '-qm', 'first')
    const head = git('rev-parse', 'HEAD')
    assert.equal(await gitCommit(experiment), head)
    const commit = async (lookup?: Promise<string | null>) => {
      await commitCheckpoint({
        argv: ['train'],
        experimentDir: experiment,
        gitCommit: lookup,
        now,
        runId: 'r1',
        stage: 'train',
      })
      return JSON.parse(await fs.readFile(path.join(experiment, 'checkpoints', 'r1', 'MANIFEST.json'), 'utf8'))
        .git_commit
    }
    assert.equal(await commit(), head)
    assert.equal(await commit(Promise.resolve('f'.repeat(40))), 'f'.repeat(40))
  })
})

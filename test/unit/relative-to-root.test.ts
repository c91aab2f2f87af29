import assert from 'node:assert/strict'
import path from 'node:path'

import {relativeToRoot, type Workspace} from '../../src/workspace/workspace.js'

/** What relativeToRoot answered before its fast path: path.relative, or the path itself when it is outside the root. */
function expected(root: string, p: string): string {
  const rel = path.relative(root, p)
  return rel.startsWith('..') ? p : rel
}

describe('relativeToRoot: the prefix fast path answers as path.relative does', () => {
  const root = '/w/root'
  const ws = {root} as Workspace

  it('on paths inside, outside, beside and not normalized', () => {
    const cases = [
      '/w/root/a',
      '/w/root/a/b.txt',
      '/w/root/',
      '/w/root',
      '/w/root/./a',
      '/w/root/a/../b',
      '/w/root/a//b',
      '/w/root//a',
      '/w/root/a/',
      '/w/root/..x',
      '/w/root/...',
      '/w/root/a/..',
      '/w/root/a/.',
      '/w/root/..',
      '/w/rootx/a',
      '/other/a',
      'relative/a',
      '/w/root/.hidden/b',
      '/w/root/a./b',
    ]
    for (const p of cases) assert.equal(relativeToRoot(ws, p), expected(root, p), p)
  })

  it('on 50,000 generated paths under the root (segments such as ., .., empty, ..d, .e)', () => {
    // a small seeded generator (a linear congruential one): the same paths on every run
    let seed = 7
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
    const parts = ['a', '.', '..', '', 'b.c', '..d', '.e', '...']
    for (let i = 0; i < 50_000; i++) {
      const segments = Array.from(
        {length: 1 + Math.floor(random() * 4)},
        () => parts[Math.floor(random() * parts.length)],
      )
      const p = `${root}/${segments.join('/')}`
      assert.equal(relativeToRoot(ws, p), expected(root, p), JSON.stringify(p))
    }
  })
})

import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {exp, makeExperiment, removeDir, ROOT, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * V8's code cache for the fast path's files (src/fastpath/code-cache.ts): written by a build's first call, used by
 * the next (not written again), a damaged file compiled from source and written again, nothing without a cache
 * folder, and at most 4 builds' folders kept.
 */
describe('start-up: V8 code cache of the fast path', () => {
  let ws: string
  let cache: string
  before(async () => {
    ws = await tempWorkspace()
    await makeExperiment(ws, '2025-01-01-alpha', {'reports/r1.json': {gates_passed: true, metrics: {final_nrmse: 0.1}}})
  })
  beforeEach(async () => {
    cache = await tempDir()
  })
  afterEach(async () => removeDir(cache))
  after(async () => removeDir(ws))

  const list = async (env: Record<string, string | undefined> = {EXP_CACHE_DIR: cache}) => {
    const r = await exp(['list', '--json'], {cwd: ws, e2e: true, env}) // the binary's start-up, not in-process
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.replace(/"idle_ms": ?[\d.]+/g, '') // the one field that moves between two calls
  }
  /** this build's folder of cached code, and each file's time and bytes */
  const cached = async () => {
    const builds = await fs.readdir(path.join(cache, 'code'))
    assert.equal(builds.length, 1, builds.join(' '))
    const dir = path.join(cache, 'code', builds[0])
    const files: Record<string, {bytes: string; mtime: number}> = {}
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name)
      files[name] = {bytes: (await fs.readFile(file)).toString('base64'), mtime: (await fs.stat(file)).mtimeMs}
    }
    return {dir, files}
  }

  it("a build's first call writes the cache of every fast-path file it compiled; the next call uses it as is", async () => {
    const first = await list()
    const written = await cached()
    const names = Object.keys(written.files).sort()
    for (const file of [/^commands\+list\.cjs@/, /^run\.cjs@/, /^chunks\+start-shared-.+\.cjs@/])
      assert.ok(
        names.some((n) => file.test(n)),
        `${file} in ${names.join(' ')}`,
      )
    assert.ok(
      names.every((n) => /\.cjs@\d+-\d+-\d+\.bin$/.test(n)),
      'no temporary file left',
    )
    assert.equal(await list(), first)
    assert.deepEqual(await cached(), written, 'accepted by V8, so not written again')
  })

  it('a damaged cache file is compiled from source, with the same output, and written again', async () => {
    const first = await list()
    const {dir, files} = await cached()
    const name = Object.keys(files).find((n) => n.startsWith('commands+list.cjs@'))!
    const damaged = Buffer.alloc(Buffer.from(files[name].bytes, 'base64').length, 7)
    await fs.writeFile(path.join(dir, name), damaged)
    assert.equal(await list(), first)
    const rewritten = await cached()
    assert.notEqual(rewritten.files[name].bytes, damaged.toString('base64'))
    assert.equal(await list(), first)
    assert.deepEqual(await cached(), rewritten, 'the new file accepted')
  })

  it('another checkout of the same sources, a file rewritten with the same length: its own code runs', async () => {
    const copy = await tempDir()
    try {
      for (const part of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
        await fs.cp(path.join(ROOT, part), path.join(copy, part), {recursive: true})
      await fs.symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
      const run = async (bin: string) => {
        const r = await execa(process.execPath, [bin, 'list'], {cwd: ws, env: {EXP_CACHE_DIR: cache}, reject: false})
        assert.equal(r.exitCode, 0, r.stderr)
        return r.stdout
      }
      assert.match(await run(path.join(ROOT, 'bin', 'run.cjs')), /Stale: 0/)
      // the copy's listing chunk says STALE (same length): V8 would take this checkout's cached code for it
      const chunks = path.join(copy, 'dist', 'fast', 'chunks')
      const listing = (await fs.readdir(chunks)).find((n) => /^start-list-.+\.cjs$/.test(n))!
      const text = await fs.readFile(path.join(chunks, listing), 'utf8')
      assert.ok(text.includes('  Stale: '))
      await fs.writeFile(path.join(chunks, listing), text.replace('  Stale: ', '  STALE: '))
      assert.match(await run(path.join(copy, 'bin', 'run.cjs')), /STALE: 0/)
      assert.match(await run(path.join(ROOT, 'bin', 'run.cjs')), /Stale: 0/)
    } finally {
      await removeDir(copy)
    }
  })

  it('EXP_CACHE_DIR empty: no cache anywhere, the same output', async () => {
    const first = await list()
    const home = await tempDir()
    try {
      assert.equal(await list({EXP_CACHE_DIR: '', HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg')}), first)
      assert.deepEqual(await fs.readdir(home), [])
    } finally {
      await removeDir(home)
    }
  })

  it("a fresh exp report --all (which raises V8's tier-up budget for its pages) leaves a cache the next call accepts", async () => {
    // 40 experiments without a page: past the 32 that make --all write from a thread and raise the budget
    const many = await tempWorkspace()
    try {
      for (let i = 0; i < 40; i++) await makeExperiment(many, `2025-02-${String(1 + (i % 28)).padStart(2, '0')}-e${i}`)
      const reports = path.join(many, 'reports')
      const fresh = async () => {
        for (const f of await fs.readdir(reports)) if (f.endsWith('.html')) await fs.rm(path.join(reports, f))
        const r = await exp(['report', '--all', '--json'], {cwd: many, e2e: true, env: {EXP_CACHE_DIR: cache}})
        assert.equal(r.code, 0, r.stderr)
        assert.equal(JSON.parse(r.stdout).pages_changed, 40)
      }
      await fresh()
      const written = await cached()
      assert.ok(
        Object.keys(written.files).some((n) => /^chunks\+service-.+\.cjs@/.test(n)),
        Object.keys(written.files).join(' '),
      )
      await fresh()
      // V8's flags were put back before the cache was written (the flags are part of its version tag): accepted
      assert.deepEqual(await cached(), written, 'accepted by V8, so not written again')
    } finally {
      await removeDir(many)
    }
  })

  it("keeps the 4 builds' folders written last", async () => {
    const old = ['a', 'b', 'c', 'd', 'e'].map((b) => path.join(cache, 'code', `build-${b}`))
    for (const [i, dir] of old.entries()) {
      await fs.mkdir(dir, {recursive: true})
      await fs.utimes(dir, new Date(2025, 0, 1 + i), new Date(2025, 0, 1 + i))
    }
    await list()
    const kept = await fs.readdir(path.join(cache, 'code'))
    assert.equal(kept.length, 4, kept.join(' '))
    assert.deepEqual(kept.filter((b) => b.startsWith('build-')).sort(), ['build-c', 'build-d', 'build-e'])
  })
})

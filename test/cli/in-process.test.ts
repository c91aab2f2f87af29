import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {
  age,
  exp,
  expIn,
  makeExperiment,
  removeDir,
  tempDir,
  treeSnapshot,
  writeTree,
  type ExpResult,
} from '../support/exp.js'

/**
 * The in-process runner (test/support/in-process.ts) stands in for the built binary only if a command gives the same
 * stdout, stderr and exit code both ways: successes, listings in text and JSON, one-line refusals (ExpError's exit
 * codes), oclif's own usage errors (exit 2) and a mutating command (same files on disk afterwards).
 */
describe('exp in-process gives what the binary gives', () => {
  let base: string
  before(async () => {
    base = await tempDir()
  })
  after(() => removeDir(base))

  /** Two identical workspaces (one copied from the other, times kept), one for each way of running. */
  async function twins(): Promise<{child: string; inner: string}> {
    const made = {child: path.join(base, `child-${Date.now()}`), inner: path.join(base, `inner-${Date.now()}`)}
    await fs.mkdir(made.child)
    assert.equal((await exp(['init', made.child], {cwd: made.child, e2e: true})).code, 0)
    await makeExperiment(made.child, '2025-01-01-done', {'notes.md': '# done\n\nStatus: ✓ success\n'})
    await makeExperiment(made.child, '2025-01-02-bare')
    await writeTree(made.child, {'experiments/2025-01-03-broken/config.yaml': 'model: [\n'})
    await age(path.join(made.child, 'experiments'), 40) // ages in days: the same for both runs
    await execa('cp', ['-a', made.child, made.inner])
    return made
  }

  /** the same but for the workspace's path, the milliseconds between the two runs and the second a line was logged in */
  const same = (a: ExpResult, b: ExpResult, what: string, ws: {child: string; inner: string}) => {
    const norm = (r: ExpResult, dir: string) => {
      const text = (t: string) =>
        t
          .replaceAll(dir, 'WS')
          .replaceAll(/"(idle_ms|duration_ms)": [\d.]+/g, '"$1": N')
          .replaceAll(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /gm, '[TIME] ')
      return {code: r.code, stderr: text(r.stderr), stdout: text(r.stdout)}
    }
    assert.deepEqual(norm(b, ws.inner), norm(a, ws.child), what)
  }

  it('a sample of commands: same stdout, stderr and exit code as bin/run.cjs', async () => {
    const ws = await twins()
    const calls: {args: string[]; env?: Record<string, string>}[] = [
      {args: ['list']},
      {args: ['list', '--json']},
      {args: ['list'], env: {EXP_NO_FAST_PATH: '1'}}, // oclif's path, not bin/run.cjs's start-up fast path
      {args: ['show', 'done', '--json'], env: {EXP_NO_FAST_PATH: '1'}},
      {args: ['list', '--status', 'failed']},
      {args: ['show', 'done']},
      {args: ['show', 'done', '--json']},
      {args: ['show', 'no-such-experiment']},
      {args: ['show', 'no-such-experiment', '--json']},
      {args: ['list', '--no-such-flag']},
      {args: ['show']},
      {args: ['archive', '--status', 'all']},
      {args: ['archive', '--status', 'all', '--dry-run']},
      {args: ['list'], env: {EXP_LOG_TIMESTAMPS: '1'}},
      {args: ['new', 'fresh', '--date', '2025-02-01']},
      {args: ['new', 'fresh', '--date', '2025-02-01']},
      {args: ['mark', 'bare', '--failed', '--reason', 'diverged']},
    ]
    let codes = new Set<number>()
    for (const {args, env} of calls) {
      const a = await exp(args, {cwd: ws.child, e2e: true, env})
      const b = await inProcessExp(args, ws.inner, env)
      same(a, b, `exp ${args.join(' ')}`, ws)
      codes = codes.add(a.code)
    }
    assert.ok(codes.size >= 3, `successes and several kinds of failure were compared (exit codes ${[...codes]})`)
    const strip = (t: Record<string, string>) =>
      Object.keys(t)
        .filter((k) => !k.startsWith('.exp/'))
        .sort()
    assert.deepEqual(strip(await treeSnapshot(ws.inner)), strip(await treeSnapshot(ws.child)), 'the same files on disk')
  })

  it('restores the test process: cwd, env, argv and exit code are as before the call', async () => {
    const ws = await twins()
    const before = {argv: process.argv, cwd: process.cwd(), env: {...process.env}, exitCode: process.exitCode}
    const r = await inProcessExp(['show', 'no-such-experiment'], ws.inner, {EXP_LOG_TIMESTAMPS: '1'})
    assert.notEqual(r.code, 0)
    assert.deepEqual(
      {argv: process.argv, cwd: process.cwd(), env: {...process.env}, exitCode: process.exitCode},
      before,
    )
  })

  const inProcessExp = (args: string[], cwd: string, env?: Record<string, string>) => expIn(args, {cwd, env})
})

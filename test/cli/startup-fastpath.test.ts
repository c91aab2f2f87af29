import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {age, exp, makeExperiment, removeDir, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * The start-up fast path (src/fastpath/, bin/run.cjs) against oclif's path (EXP_NO_FAST_PATH=1): the hot commands
 * print the same bytes on stdout and stderr and exit with the same code, for plain calls, errors, and the forms the
 * fast path leaves to oclif; and a plain call really takes it (a loader hook records whether @oclif/core loaded).
 */
describe('start-up fast path', () => {
  let ws: string
  let hookDir: string
  before(async () => {
    ws = await tempWorkspace()
    await makeExperiment(ws, '2025-01-01-alpha', {'reports/r1.json': {gates_passed: true, metrics: {final_nrmse: 0.1}}})
    await makeExperiment(ws, '2025-01-02-beta')
    // days old, so "LAST ACTIVITY" reads the same for both paths' calls (seconds old, 9s ago → 10s ago widened the column)
    for (const name of ['2025-01-01-alpha', '2025-01-02-beta']) await age(path.join(ws, 'experiments', name), 3)
    for (const args of [
      ['a', '--action', 'paper'],
      ['b', '--action', 'noop', '--depends-on', 'a'],
    ]) {
      const r = await exp(['graph', 'add', ...args], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    hookDir = await tempDir()
  })
  after(async () => {
    await removeDir(ws)
    await removeDir(hookDir)
  })

  const runIds = /\d{8}-\d{6}-[0-9a-f]{4}/g
  const times = /\d{4}-\d\d-\d\dT[\d:.]+Z/g
  const same = (s: string) =>
    s
      .replaceAll(runIds, 'RUN')
      .replaceAll(times, 'TIME')
      .replaceAll(/\d+(ms|s) ago/g, 'AGO')
      .replaceAll(/"idle_ms": [\d.]+/g, 'IDLE')
      .replaceAll(/"supervisor_(pid|start)": "?\d+"?/g, 'PID')
  const both = async (args: string[], env: Record<string, string> = {}) => {
    const fast = await exp(args, {cwd: ws, env})
    const slow = await exp(args, {cwd: ws, env: {...env, EXP_NO_FAST_PATH: '1'}})
    assert.deepEqual(
      {code: fast.code, stderr: same(fast.stderr), stdout: same(fast.stdout)},
      {code: slow.code, stderr: same(slow.stderr), stdout: same(slow.stdout)},
      `exp ${args.join(' ')}`,
    )
    return fast
  }

  const calls: Array<[string[], number]> = [
    [['list'], 0],
    [['list', '--json'], 0],
    [['list', '--status', 'active', '--status', 'success'], 0],
    [['list', '--status=failed', '--json'], 0],
    [['list', '--archived'], 0],
    [['list', '--variants'], 0],
    [['list', '--status', 'nonsense'], 2],
    [['list', '--bogus'], 2],
    [['list', 'extra'], 2],
    [['show', 'alpha'], 0],
    [['show', 'alpha', '--json'], 0],
    [['show', 'nope'], 1],
    [['show', 'nope', '--json'], 1],
    [['show'], 2],
    [['runs'], 0],
    [['runs', 'beta', '--json'], 0],
    [['graph', 'show'], 0],
    [['graph', 'show', '--json'], 0],
    [['graph', 'show', '--dot'], 0],
    [['launch', 'alpha', '--dry-run'], 0],
    [['launch', 'alpha', '--dry-run', '--json'], 0],
    [['launch', 'alpha', '--dry-run', '--stage', 'train'], 0],
    [['launch', 'alpha', '--dry-run', '--cpus', '0'], 2],
    [['launch', 'alpha', '--dry-run', '--slurm', '--vast'], 2],
    [['launch', 'nope', '--dry-run'], 1],
    // archive takes many names (static strict = false)
    [['archive', '--status', 'all', '--dry-run'], 0],
    [['archive', 'alpha', '--dry-run'], 0],
    [['archive', 'alpha', 'beta', '--dry-run', '--json'], 1],
    [['archive', '--list-only'], 0],
    [['archive', 'nope', '--dry-run'], 1],
    [['archive', '--status', 'all'], 2],
  ]
  for (const [args, code] of calls) {
    it(`exp ${args.join(' ')}: same output and exit code (${code}) on both paths`, async () => {
      const r = await both(args)
      assert.equal(r.code, code, r.stderr)
    })
  }

  it("the workspace root from EXP_ROOT (the flag's env) and --root, from another folder", async () => {
    const elsewhere = await tempDir()
    try {
      for (const [args, env] of [
        [['list', '--json'], {EXP_ROOT: ws}],
        [['list', '--root', ws], {}],
      ] as const) {
        const fast = await exp([...args], {cwd: elsewhere, env})
        const slow = await exp([...args], {cwd: elsewhere, env: {...env, EXP_NO_FAST_PATH: '1'}})
        assert.equal(fast.code, 0, fast.stderr)
        assert.deepEqual(same(fast.stdout), same(slow.stdout))
      }
    } finally {
      await removeDir(elsewhere)
    }
  })

  /**
   * exp's exit code and every module it loaded: the files it required (at exit, from the CommonJS loader's cache)
   * and the URLs it imported (a loader hook records them)
   */
  const loading = async (args: string[], env: Record<string, string | undefined> = {}, cwd = ws) => {
    const log = path.join(hookDir, 'loaded.txt')
    const hook = `import {appendFileSync} from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r }`
    const register = `import {register} from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)})`
    const required = path.join(hookDir, 'required.cjs')
    await fs.writeFile(
      required,
      `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require('node:module')._cache).map((f) => require('node:url').pathToFileURL(f).href + '\\n').join('')))`,
    )
    await fs.rm(log, {force: true})
    const r = await exp(args, {
      cwd,
      // no colour, as on a plain pipe: ansis (oclif's colours) takes CI=true as a colour terminal, and help with
      // colour is oclif's to render
      env: {
        CI: undefined,
        FORCE_COLOR: undefined,
        ...env,
        NODE_OPTIONS: `--require=${required} --import=data:text/javascript,${encodeURIComponent(register)}`,
      },
    })
    const urls = await fs.readFile(log, 'utf8')
    assert.match(urls, /bin\/run\.cjs/)
    return {code: r.code, stderr: r.stderr, urls: [...new Set(urls.trim().split('\n'))]}
  }

  it('a plain hot call and help at 80 columns never load @oclif/core; a usage error, help at another width and EXP_NO_FAST_PATH do', async () => {
    const loadsOclif = async (args: string[], env: Record<string, string | undefined> = {}) => {
      const r = await loading(args, env)
      assert.equal(r.code, args.includes('--bogus') ? 2 : 0, r.stderr)
      return {code: r.code, oclif: r.urls.some((u) => u.endsWith('/dist/oclif.js'))}
    }
    assert.deepEqual(await loadsOclif(['list', '--json']), {code: 0, oclif: false})
    assert.deepEqual(await loadsOclif(['show', 'alpha']), {code: 0, oclif: false})
    assert.deepEqual(await loadsOclif(['graph', 'show']), {code: 0, oclif: false})
    assert.deepEqual(await loadsOclif(['list', '--json'], {EXP_NO_FAST_PATH: '1'}), {code: 0, oclif: true})
    assert.deepEqual(await loadsOclif(['list', '--bogus']), {code: 2, oclif: true})
    // help from the text the build rendered with oclif (test/cli/startup-help.test.ts), unless the width differs
    assert.deepEqual(await loadsOclif(['list', '--help']), {code: 0, oclif: false})
    assert.deepEqual(await loadsOclif(['--help']), {code: 0, oclif: false})
    assert.deepEqual(await loadsOclif(['list', '--help'], {OCLIF_COLUMNS: '120'}), {code: 0, oclif: true})
  })

  it('a local exp launch loads five files of dist/ in all: the code cache, its command, the runner and two chunks (scripts/rechunk-fast.js)', async () => {
    const launching = await tempWorkspace()
    try {
      await fs.appendFile(path.join(launching, 'exp.yaml'), 'engines:\n  train: ["true"]\n  evaluate: ["true"]\n')
      await makeExperiment(launching, '2025-01-03-gamma')
      // exp.yaml validated once and cached, as on every call after the first
      assert.equal((await exp(['list'], {cwd: launching})).code, 0)
      const r = await loading(['launch', 'gamma'], {}, launching)
      assert.equal(r.code, 0, r.stderr)
      const dist = r.urls
        .filter((u) => u.includes('/dist/'))
        .map((u) => u.replace(/^.*\/dist\//, ''))
        .sort()
      // esbuild's code splitting alone made it 36 before the run and 3 more while it ran
      assert.equal(dist.length, 5, dist.join(' '))
      assert.deepEqual(
        dist.filter((u) => !u.startsWith('fast/chunks/')),
        ['fast/code-cache.cjs', 'fast/commands/launch.cjs', 'fast/run.cjs'],
      )
      assert.deepEqual(
        dist.filter((u) => u.startsWith('fast/chunks/')).map((u) => u.replace(/-[\w-]{8}\.cjs$/, '')),
        ['fast/chunks/start-launch', 'fast/chunks/start-shared'],
      )
    } finally {
      await removeDir(launching)
    }
  })
})

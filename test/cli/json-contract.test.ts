import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {exp, inProcess, removeDir, ROOT, tempWorkspace} from '../support/exp.js'

/**
 * The --json contract (README "Flags"): whatever happens, stdout is exactly one JSON document — a result, or exp's
 * error shape {error: {code, exit, message}} — and keys are snake_case. Every command in the manifest is run with
 * --json twice: once as it is meant to be called (it may still refuse, in a workspace with one experiment and no
 * runs) and once with a flag that does not exist (a usage error: exit 2, never oclif's internal error object).
 */
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {args: Record<string, unknown>}>
}

/** How each command is called in a valid invocation; a command missing here fails the test (add it). */
const VALID: Record<string, string[]> = {
  adopt: ['--dry-run'],
  archive: ['--dry-run'],
  cancel: ['alpha', '--dry-run'],
  'checkpoint-stage': ['check', 'experiments/none', 'r1'],
  collect: ['alpha'],
  compare: [],
  completion: ['bash'],
  configs: [],
  'cron:install': ['--dry-run'],
  'cron:remove': ['--dry-run'],
  'cron:show': [],
  diff: ['alpha', 'configs/train_burgers_golden.yaml'],
  'graph:add': ['n1', '--action', 'noop'],
  'graph:mark': ['n1', 'done', '--dry-run'],
  'graph:next': [],
  'graph:remove': ['n1', '--dry-run'],
  'graph:reset': ['n1', '--dry-run'],
  'graph:run': ['--dry-run'],
  'graph:show': [],
  'graph:submit': ['--dry-run'],
  'graph:validate': [],
  init: ['sub'],
  launch: ['alpha', '--dry-run'],
  'launch-worker': ['experiments/none', 'r1'],
  leaderboard: [],
  list: [],
  logs: ['alpha'],
  mark: ['alpha', '--success', '--reason', 'checked by hand', '--dry-run'],
  new: ['beta', '--set', 'model.latent_dim=16', '--dry-run'],
  promote: ['--dry-run'],
  'remote:pull': ['--rclone-remote', 'nowhere-remote-for-tests:'],
  'remote:push': ['--rclone-remote', 'nowhere-remote-for-tests:'],
  'remote:status': ['--rclone-remote', 'nowhere-remote-for-tests:'],
  'remote:unlock': ['--rclone-remote', 'nowhere-remote-for-tests:', '--dry-run'],
  report: ['alpha', '--out', 'r.html'],
  restore: ['alpha', '--dry-run'],
  runs: [],
  show: ['alpha'],
  'sweep:setup': ['alpha'],
  verify: ['--quick'],
  watch: ['alpha'],
}

const camel = /^[a-z]+[A-Z]/

/** Keys that are not snake_case, anywhere in the document (config values copied from the user's files excepted). */
function camelKeys(value: unknown, where = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => camelKeys(v, `${where}[${i}]`))
  if (!value || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => [
    ...(camel.test(k) ? [`${where}.${k}`] : []),
    ...(k === 'config' || k === 'params' ? [] : camelKeys(v, `${where}.${k}`)),
  ])
}

async function parallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  let next = 0
  await Promise.all(
    Array.from({length: limit}, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    }),
  )
  return out
}

describe('--json: exactly one JSON document on stdout, for every command', function () {
  this.timeout(180_000)
  inProcess() // one call at a time in this process; the calls made while it is busy run as child processes
  let ws: string
  const ids = Object.keys(manifest.commands).sort()

  before(async () => {
    ws = await tempWorkspace()
    for (const args of [
      ['new', 'alpha', '--date', '2026-01-02'],
      ['launch', 'alpha'],
    ]) {
      const r = await exp(args, {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
  })
  after(() => removeDir(ws))

  it('every command in the manifest has a valid invocation in this test', () => {
    assert.deepEqual(
      ids.filter((id) => !VALID[id]),
      [],
    )
    assert.ok(ids.length >= 40, `only ${ids.length} commands in the manifest`)
  })

  it("valid invocations: stdout parses as one document; a failure is exp's error shape; keys are snake_case", async () => {
    const problems = await parallel(ids, 3, async (id) => {
      const r = await exp([...id.split(':'), ...VALID[id], '--json'], {
        cwd: ws,
        env: {PATH: process.env.PATH, RCLONE_CONFIG: path.join(ws, 'no-rclone.conf')},
        timeout: 30_000,
      })
      let json: any
      try {
        json = JSON.parse(r.stdout)
      } catch {
        return `${id}: stdout is not one JSON document (exit ${r.code}): ${r.stdout.slice(0, 200)}`
      }
      if (r.code !== 0 && !(json?.error && typeof json.error.message === 'string' && json.error.exit === r.code))
        return `${id}: exit ${r.code} without exp's error shape: ${r.stdout.slice(0, 200)}`
      const keys = camelKeys(json)
      return keys.length > 0 ? `${id}: camelCase keys ${keys.slice(0, 5).join(', ')}` : undefined
    })
    assert.deepEqual(problems.filter(Boolean), [])
  })

  it("usage errors (a flag that does not exist): one document, exp's error shape, exit 2", async () => {
    const problems = await parallel(ids, 3, async (id) => {
      const r = await exp([...id.split(':'), '--no-such-flag', '--json'], {cwd: ws})
      let json: any
      try {
        json = JSON.parse(r.stdout)
      } catch {
        return `${id}: stdout is not one JSON document (exit ${r.code}): ${r.stdout.slice(0, 200)}`
      }
      if (r.code !== 2) return `${id}: exit ${r.code}, not 2`
      if (json?.error?.code !== 'USAGE' || json.error.exit !== 2 || !/no-such-flag/.test(json.error.message))
        return `${id}: not exp's error shape: ${r.stdout.slice(0, 200)}`
      return undefined
    })
    assert.deepEqual(problems.filter(Boolean), [])
  })

  it('a missing argument under --json is a usage error too (exp show --json)', async () => {
    const r = await exp(['show', '--json'], {cwd: ws})
    assert.equal(r.code, 2)
    assert.equal(JSON.parse(r.stdout).error.code, 'USAGE')
  })

  it('exp logs --json keeps the log text inside the document', async () => {
    const r = await exp(['logs', 'alpha', '--json'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const json = JSON.parse(r.stdout)
    assert.match(json.logs.map((l: {content?: string}) => l.content ?? '').join(''), /epoch 1\//)
  })
})

import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {age, exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

/**
 * `exp archive --older-than 14d` archives by last activity (the newest file change), and the weekly line `exp cron
 * install` writes uses it by default, so this week's work is never archived under someone's feet.
 */
describe('exp archive --older-than (and the weekly cron line)', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string

  beforeEach(async () => {
    ws = await tempWorkspace()
    for (const [name, days] of [
      ['old-fail', 20],
      ['fresh-fail', 3],
      ['old-done', 30],
    ] as const) {
      await makeExperiment(ws, name)
      const r = await exp(
        ['mark', name, name.endsWith('fail') ? '--failed' : '--success', '--reason', 'checked by hand'],
        {cwd: ws},
      )
      assert.equal(r.code, 0, r.stderr)
      await age(path.join(ws, 'experiments', name), days)
    }
  })
  afterEach(() => removeDir(ws))

  it('archives only the finished experiments idle for longer than the duration', async () => {
    const plan = await expJson(['archive', '--status', 'all', '--older-than', '14d', '--dry-run'], {cwd: ws})
    assert.deepEqual(plan.json.items.map((i: {name: string}) => i.name).sort(), ['old-done', 'old-fail'])
    const r = await expJson(['archive', '--status', 'all', '--older-than', '14d', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.json.results.map((x: {name: string}) => x.name).sort(), ['old-done', 'old-fail'])
    assert.ok(existsSync(path.join(ws, 'experiments', 'fresh-fail')), "this week's failed experiment stays")
    assert.ok(existsSync(path.join(ws, 'experiments-archive', 'old-fail')))
  })

  it('hours and weeks work; a bad duration or a duration with names is a usage error (exit 2)', async () => {
    const hours = await expJson(['archive', '--older-than', '48h', '--dry-run'], {cwd: ws})
    assert.deepEqual(hours.json.items.map((i: {name: string}) => i.name).sort(), ['fresh-fail', 'old-done', 'old-fail'])
    const weeks = await expJson(['archive', '--older-than', '4w', '--dry-run'], {cwd: ws})
    assert.deepEqual(
      weeks.json.items.map((i: {name: string}) => i.name),
      ['old-done'],
    )
    assert.equal((await exp(['archive', '--older-than', 'two weeks', '--dry-run'], {cwd: ws})).code, 2)
    assert.equal((await exp(['archive', 'old-fail', '--older-than', '14d', '--dry-run'], {cwd: ws})).code, 2)
  })

  it('the weekly line exp cron install writes archives with --older-than 14d by default (dry run: the crontab is unchanged)', async () => {
    const r = await expJson(['cron', 'install', '--dry-run'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.dry_run, true)
    assert.match(r.json.line, /'?archive'? '?--status'? '?all'? '?--older-than'? '?14d'? '?--yes'?/)
  })
})

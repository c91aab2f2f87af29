import {execa} from 'execa'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {age, EXP_BIN, inProcess, makeExperiment, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/**
 * exp cron against the real crontab program, never the crontab of the person running the tests: a throwaway user
 * is created for the run (root only; CI runs these as root) and exp runs as that user, so `crontab -l`/`crontab -`
 * act on the throwaway user's table. The user is removed afterwards, with its crontab.
 */
describe('exp cron (the real crontab, a throwaway user)', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  const user = `exptest${randomBytes(3).toString('hex')}`
  let created = false
  let ws: string
  let other: string

  const crontab = (args: string[], input?: string) =>
    execa('crontab', ['-u', user, ...args], {input: input ?? '', reject: false})
  const table = async () => {
    const r = await crontab(['-l'])
    return r.exitCode === 0 ? r.stdout + '\n' : ''
  }
  // exp as the throwaway user runs it: a copy of this checkout's package that the user can read (a checkout in a
  // private folder, as `mktemp -d` makes them, is out of its reach)
  let install: string | undefined
  let bin = EXP_BIN
  const asUser = async (args: string[], cwd: string) => {
    const r = await execa('runuser', ['-u', user, '--', process.execPath, bin, ...args], {
      cwd,
      env: {EXP_ROOT: undefined},
      reject: false,
    })
    return {code: r.exitCode ?? 1, stderr: String(r.stderr), stdout: String(r.stdout)}
  }
  const workspaceFor = async () => {
    const dir = await tempWorkspace()
    await execa('chown', ['-R', user, dir])
    return dir
  }

  before(async function () {
    const root = process.getuid?.() === 0
    const tools =
      root &&
      (
        await Promise.all(
          ['crontab', 'runuser', 'useradd', 'userdel'].map((t) =>
            execa('sh', ['-c', `command -v ${t}`], {reject: false}),
          ),
        )
      ).every((r) => r.exitCode === 0)
    requireTool(
      this,
      Boolean(tools),
      'root with crontab, runuser, useradd and userdel (a throwaway user keeps your own crontab out of the tests)',
    )
    await execa('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user])
    created = true
    install = await installForUser()
    bin = path.join(install, 'bin', 'run.cjs')
    const probe = await execa('runuser', ['-u', user, '--', process.execPath, bin, '--version'], {reject: false})
    requireTool(
      this,
      probe.exitCode === 0,
      `the throwaway user can run this checkout's exp (${String(probe.stderr).split('\n')[0]})`,
    )
  })

  after(async () => {
    if (install) await removeDir(install)
    if (!created) return
    await crontab(['-r'])
    await execa('userdel', [user], {reject: false})
  })

  beforeEach(async () => {
    ws = await workspaceFor()
    other = await workspaceFor()
    await crontab(['-r'])
  })
  afterEach(async () => {
    await removeDir(ws)
    await removeDir(other)
  })

  const OTHERS =
    'MAILTO=""\n# nightly backup, written by hand\n15 3 * * * /usr/local/bin/backup --all >/dev/null 2>&1\n'

  it('show with no crontab at all says nothing is installed', async () => {
    const r = await asUser(['cron', 'show', '--json'], ws)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).installed, false)
    const text = await asUser(['cron', 'show'], ws)
    assert.match(text.stdout, /No exp line for this workspace in your crontab\. Install one with: exp cron install/)
  })

  it('install adds one marked line with absolute quoted paths and keeps every other line; installing again replaces it', async () => {
    await crontab(['-'], OTHERS)
    const first = await asUser(['cron', 'install'], ws)
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /^Installed the exp line in your crontab:/)
    const expected = `0 0 * * 0 cd '${ws}' && EXP_LOG_TIMESTAMPS=1 '${process.execPath}' '${await fs.realpath(bin)}' archive --status all --older-than 14d --yes >> '${ws}/.exp/cron.log' 2>&1 # exp:${ws}`
    assert.equal(await table(), OTHERS + expected + '\n')

    const second = await asUser(
      ['cron', 'install', '--schedule', '30 2 * * 1', '--command', 'archive --status failed --yes'],
      ws,
    )
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /^Replaced the exp line/)
    const lines = (await table()).split('\n')
    assert.equal(lines.filter((l) => l.endsWith(`# exp:${ws}`)).length, 1, 'one line per workspace')
    assert.equal(
      await table(),
      OTHERS +
        expected.replace('0 0 * * 0', '30 2 * * 1').replace('--status all --older-than 14d', '--status failed') +
        '\n',
    )

    // another workspace gets its own line; removing one leaves the other and the person's lines
    assert.equal((await asUser(['cron', 'install'], other)).code, 0)
    assert.equal((await table()).split('\n').filter((l) => l.includes('# exp:')).length, 2)
    const removed = await asUser(['cron', 'remove'], ws)
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /Removed the exp line/)
    const after = await table()
    assert.ok(after.startsWith(OTHERS), 'the other lines are untouched')
    assert.ok(!after.includes(`# exp:${ws}\n`))
    assert.ok(after.includes(`# exp:${other}\n`))
    const again = await asUser(['cron', 'remove'], ws)
    assert.equal(again.code, 0)
    assert.match(again.stdout, /nothing to remove/)
    assert.equal(await table(), after, 'removing twice changes nothing')
  })

  it('show prints the line and the next three runs', async () => {
    assert.equal((await asUser(['cron', 'install', '--schedule', '@weekly'], ws)).code, 0)
    const text = await asUser(['cron', 'show'], ws)
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^@weekly cd '.*# exp:/m)
    assert.match(
      text.stdout,
      /^Next runs: \d{4}-\d\d-\d\d 00:00 [+-]\d\d:\d\d, \d{4}-\d\d-\d\d 00:00 [+-]\d\d:\d\d, \d{4}-\d\d-\d\d 00:00 [+-]\d\d:\d\d$/m,
    )
    const json = JSON.parse((await asUser(['cron', 'show', '--json'], ws)).stdout)
    assert.equal(json.installed, true)
    assert.equal(json.schedule, '@weekly')
    const runs = json.next_runs.map((t: string) => new Date(t))
    assert.equal(runs.length, 3)
    for (const run of runs) assert.equal(run.getDay(), 0, 'Sundays')
    assert.equal(
      runs[1].getTime() - runs[0].getTime(),
      7 * 86_400_000 + (runs[1].getTimezoneOffset() - runs[0].getTimezoneOffset()) * 60_000,
    )
  })

  it('a bad schedule is a one-line error and the crontab is not touched', async () => {
    await crontab(['-'], OTHERS)
    const r = await asUser(['cron', 'install', '--schedule', '0 25 * * *'], ws)
    assert.equal(r.code, 2)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.match(r.stderr, /^Error: invalid cron schedule "0 25 \* \* \*": .*expected range 0-23/)
    assert.equal(await table(), OTHERS)
    const unknown = await asUser(['cron', 'install', '--command', 'archiv --yes'], ws)
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /"archiv" is not an exp command/)
  })

  it('the installed line, run as cron runs it (env -i sh -c), archives and logs with timestamps', async () => {
    await age(await makeExperiment(ws, '2024-06-01-forgotten', {'checkpoints/a.pt': 'w'}), 45)
    // the weekly line archives finished experiments idle for 14 days (--older-than 14d): aged, this one goes too
    await age(await makeExperiment(ws, '2025-01-10-good', {'reports/eval.json': {gates_passed: true}}), 20)
    await makeExperiment(ws, '2025-02-01-fresh')
    await execa('chown', ['-R', user, ws])
    assert.equal((await asUser(['cron', 'install'], ws)).code, 0)
    const line = (await table()).split('\n').find((l) => l.endsWith(`# exp:${ws}`))!
    const command = line.replace(/^(\S+\s+){5}/, '').replace(/\\%/g, '%') // cron's own unescaping of %
    const run = await execa('runuser', ['-u', user, '--', 'env', '-i', 'sh', '-c', command], {cwd: '/', reject: false})
    assert.equal(run.exitCode, 0, String(run.stderr))
    assert.ok(existsSync(path.join(ws, 'experiments-archive/2024-06-01-forgotten/checkpoints/a.pt')))
    assert.ok(existsSync(path.join(ws, 'experiments-archive/2025-01-10-good/reports/eval.json')))
    assert.ok(existsSync(path.join(ws, 'experiments/2025-02-01-fresh/config.yaml')), 'active experiments stay')
    const log = await fs.readFile(path.join(ws, '.exp', 'cron.log'), 'utf8')
    const lines = log.trim().split('\n')
    assert.ok(lines.length >= 3, log)
    for (const l of lines) assert.match(l, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /)
    assert.match(log, /\] archived 2024-06-01-forgotten → experiments-archive\/2024-06-01-forgotten\/ \(stale\)/)
    assert.match(log, /\] Archived 2, skipped 0, failed 0/)
    // a second week: nothing left to archive, the log grows
    await execa('runuser', ['-u', user, '--', 'env', '-i', 'sh', '-c', command], {cwd: '/'})
    assert.match(
      await fs.readFile(path.join(ws, '.exp', 'cron.log'), 'utf8'),
      /Archived 2, skipped 0, failed 0.*\n.*Nothing to archive\.\n.*Archived 0, skipped 0, failed 0/s,
    )
  })

  it('six installs at once in six workspaces keep all six lines (and the others); six removes at once leave the others', async () => {
    await crontab(['-'], OTHERS)
    const six = [ws, other, ...(await Promise.all([0, 1, 2, 3].map(() => workspaceFor())))]
    try {
      const installs = await Promise.all(six.map((dir) => asUser(['cron', 'install'], dir)))
      for (const r of installs) assert.equal(r.code, 0, r.stderr)
      const after = await table()
      assert.ok(after.startsWith(OTHERS), 'the other lines are kept')
      for (const dir of six)
        assert.equal(after.split('\n').filter((l) => l.endsWith(` # exp:${dir}`)).length, 1, `one line for ${dir}`)
      const removes = await Promise.all(six.map((dir) => asUser(['cron', 'remove'], dir)))
      for (const r of removes) assert.equal(r.code, 0, r.stderr)
      assert.equal(await table(), OTHERS)
    } finally {
      for (const dir of six.slice(2)) await removeDir(dir)
    }
  })
})

/**
 * The package's files (package.json `files`, as npm would install them) copied to a folder anyone can read, with
 * node_modules hard-linked (copied when it is on another filesystem).
 */
async function installForUser(): Promise<string> {
  const root = path.dirname(path.dirname(EXP_BIN))
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-cron-install-'))
  await fs.chmod(dir, 0o755)
  const {files} = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as {files: string[]}
  await execa('cp', ['-a', '--parents', 'package.json', ...files, dir], {cwd: root})
  const linked = await execa('cp', ['-al', 'node_modules', dir], {cwd: root, reject: false})
  if (linked.exitCode !== 0) await execa('cp', ['-a', 'node_modules', dir], {cwd: root})
  return dir
}

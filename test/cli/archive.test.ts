import {execa} from 'execa'
import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {
  age,
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  requireTool,
  tempWorkspace,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

/** One experiment of every kind; the expected status of each. */
const KINDS: Record<string, 'success' | 'failed' | 'stale' | 'active'> = {
  '2024-06-01-forgotten': 'stale',
  '2025-01-10-good': 'success',
  '2025-01-11-bad': 'failed',
  '2025-01-12-judged': 'failed',
  '2025-01-22-test-64dim': 'success',
  '2025-02-01-running': 'active',
}
const OWN_METADATA = {
  hypothesis: 'gates fail at lr 0.1',
  name: '2025-01-11-bad',
  schema: 1,
  status: 'failed',
  tags: ['lr'],
}

async function mixedWorkspace(): Promise<string> {
  const ws = await tempWorkspace()
  await age(
    await makeExperiment(ws, '2024-06-01-forgotten', {
      'checkpoints/step_100.pt': 'w1',
      'checkpoints/step_200.pt': 'w2',
    }),
    45,
  )
  await makeExperiment(ws, '2025-01-10-good', {
    'checkpoints/final.pt': 'weights',
    'reports/eval.json': {final_nrmse: 0.05, gates_passed: true},
  })
  await makeExperiment(ws, '2025-01-11-bad', {
    'metadata.json': OWN_METADATA,
    'reports/eval.json': {final_nrmse: 0.4, gates_passed: false},
  })
  await makeExperiment(ws, '2025-01-12-judged', {'notes.md': '# judged\n\nResult: ✗ diverged\n'})
  await makeExperiment(ws, '2025-01-22-test-64dim', {'reports/eval.json': {note: 'no verdict here'}})
  await writeTree(ws, {'reports/test_2025-01-22-test-64dim.json': {final_nrmse: 0.08, gates_passed: true}})
  await makeExperiment(ws, '2025-02-01-running')
  return ws
}

const names = (status: string) =>
  Object.keys(KINDS).filter((n) => (status === 'all' ? KINDS[n] !== 'active' : KINDS[n] === status))
const where = async (ws: string, name: string) => {
  const a = existsSync(path.join(ws, 'experiments', name))
  const b = existsSync(path.join(ws, 'experiments-archive', name))
  assert.ok(a !== b, `${name} is in exactly one place`)
  return a ? 'experiments' : 'archive'
}

/** The experiment files that must arrive unchanged (all but metadata.json, which gains the archive record). */
async function ownFiles(dir: string): Promise<Record<string, string>> {
  const tree = await treeSnapshot(dir)
  delete tree['metadata.json']
  return tree
}

describe('exp archive', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await mixedWorkspace()
  })
  afterEach(() => removeDir(ws))

  for (const status of ['success', 'failed', 'stale', 'all']) {
    it(`--status ${status} archives exactly the ${status === 'all' ? 'success, failed and stale' : status} experiments`, async () => {
      const r = await expJson(['archive', '--status', status, '--yes'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.json.results.map((x: any) => x.name).sort(), names(status))
      assert.ok(r.json.results.every((x: any) => x.outcome === 'archived'))
      assert.deepEqual(r.json.summary, {archived: names(status).length, failed: 0, skipped: 0})
      for (const name of Object.keys(KINDS))
        assert.equal(await where(ws, name), names(status).includes(name) ? 'archive' : 'experiments', name)
    })
  }

  it('takes several --status values', async () => {
    const r = await expJson(['archive', '--status', 'failed', '--status', 'stale', '--yes'], {cwd: ws})
    assert.deepEqual(r.json.results.map((x: any) => x.name).sort(), [...names('failed'), ...names('stale')].sort())
  })

  it("moves the whole directory, copies the workspace reports and writes the archive metadata, keeping the experiment's keys", async () => {
    const before = await ownFiles(path.join(ws, 'experiments/2025-01-11-bad'))
    const before64 = await ownFiles(path.join(ws, 'experiments/2025-01-22-test-64dim'))
    const config = await fs.readFile(path.join(ws, 'experiments/2025-01-11-bad/config.yaml'))
    let originalBytes = 0
    for (const f of ['config.yaml', 'notes.md', 'metadata.json', 'reports/eval.json'])
      originalBytes += (await fs.stat(path.join(ws, 'experiments/2025-01-11-bad', f))).size
    const r = await exp(['archive', '2025-01-11-bad', 'test-64dim', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^archived 2025-01-11-bad → experiments-archive\/2025-01-11-bad\/ \(failed\)$/m)
    assert.match(r.stdout, /Archived 2, skipped 0, failed 0/)

    const bad = path.join(ws, 'experiments-archive/2025-01-11-bad')
    assert.deepEqual(await ownFiles(bad), before)
    assert.deepEqual(await fs.readFile(path.join(bad, 'config.yaml')), config)
    const record = JSON.parse(await fs.readFile(path.join(bad, 'metadata.json'), 'utf8'))
    for (const [k, v] of Object.entries(OWN_METADATA)) assert.deepEqual(record[k], v, `own key ${k} kept`)
    const a = record.archive
    assert.equal(a.status, 'failed')
    assert.equal(a.reason, 'metadata.json status is "failed"')
    assert.equal(a.original_path, 'experiments/2025-01-11-bad')
    assert.ok(Math.abs(Date.parse(a.archived_at) - Date.now()) < 3_600_000)
    assert.equal(a.file_count, 4)
    assert.equal(a.bytes, originalBytes)
    assert.equal(a.exp_version, JSON.parse(await fs.readFile(path.join(process.cwd(), 'package.json'), 'utf8')).version)
    assert.deepEqual(a.reports, [])

    const t64 = path.join(ws, 'experiments-archive/2025-01-22-test-64dim')
    const tree = await ownFiles(t64)
    const copy = 'reports/test_2025-01-22-test-64dim.json'
    assert.deepEqual({...tree, [copy]: undefined}, {...before64, [copy]: undefined})
    const workspaceReport = await fs.readFile(path.join(ws, 'reports/test_2025-01-22-test-64dim.json'))
    assert.deepEqual(
      await fs.readFile(path.join(t64, copy)),
      workspaceReport,
      'the workspace report is copied (and stays in reports/)',
    )
    const r64 = JSON.parse(await fs.readFile(path.join(t64, 'metadata.json'), 'utf8')).archive
    assert.equal(r64.status, 'success')
    assert.deepEqual(
      r64.reports.map((x: any) => [x.from, x.to, x.bytes]),
      [['reports/test_2025-01-22-test-64dim.json', copy, workspaceReport.length]],
    )

    // the archive listing shows them with the status they were archived with
    const list = await expJson(['list', '--archived'], {cwd: ws})
    assert.deepEqual(
      list.json.experiments.map((e: any) => [e.name, e.status]),
      [
        ['2025-01-11-bad', 'failed'],
        ['2025-01-22-test-64dim', 'success'],
      ],
    )
  })

  it('a stale experiment stays stale in the archive (the status recorded at archiving)', async () => {
    assert.equal((await exp(['archive', 'forgotten', '--yes'], {cwd: ws})).code, 0)
    const list = await expJson(['list', '--archived'], {cwd: ws})
    assert.equal(list.json.experiments[0].status, 'stale')
    assert.match(list.json.experiments[0].reason, /^archived as stale: no verdict; never launched; nothing changed for/)
  })

  it('refuses an active experiment even by name, says why, and still archives the others (exit 1)', async () => {
    const alone = await exp(['archive', 'running', '--yes'], {cwd: ws})
    assert.equal(alone.code, 1)
    assert.match(
      alone.stdout,
      /failed 2025-02-01-running: it is active \(no verdict yet; never launched; last change .*\); an active experiment is never archived\./,
    )
    assert.equal(await where(ws, '2025-02-01-running'), 'experiments')
    const mixed = await expJson(['archive', 'running', 'good', '--yes'], {cwd: ws})
    assert.equal(mixed.code, 1)
    assert.deepEqual(
      mixed.json.results.map((x: any) => [x.name, x.outcome]),
      [
        ['2025-02-01-running', 'failed'],
        ['2025-01-10-good', 'archived'],
      ],
    )
    assert.equal(await where(ws, '2025-01-10-good'), 'archive')
    assert.equal(await where(ws, '2025-02-01-running'), 'experiments')
  })

  it('an unknown name is an error that names it, and nothing moves', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', 'good', 'nope', '--yes'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /^Error: no experiment named "nope" in experiments\/; nothing was archived\. Try: exp list$/m,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
    const archivedAlready = await exp(['archive', 'good', '--yes'], {cwd: ws})
    assert.equal(archivedAlready.code, 0)
    const again = await exp(['archive', 'good', '--yes'], {cwd: ws})
    assert.equal(again.code, 1)
    assert.match(again.stderr, /"good" is already archived \(experiments-archive\/2025-01-10-good\)/)
  })

  it('names and --status together are a usage error', async () => {
    const r = await exp(['archive', 'good', '--status', 'failed', '--yes'], {cwd: ws})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /name experiments or choose --status, not both/)
  })

  it('--dry-run says what would happen and changes nothing', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', '--status', 'all', '--dry-run'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Would archive 5 experiments \(dry run: nothing changes\)\.$/m)
    assert.match(r.stdout, /^2024-06-01-forgotten {2}stale: no verdict; never launched; nothing changed for/m)
    assert.match(r.stdout, /→ experiments-archive\/2024-06-01-forgotten\/ {2}\(4 files, \d+ B, moved whole\)/)
    assert.match(r.stdout, /files: checkpoints\/ \(2 files, 4 B\), config\.yaml, notes\.md/)
    assert.match(
      r.stdout,
      /copies workspace report reports\/test_2025-01-22-test-64dim\.json → reports\/test_2025-01-22-test-64dim\.json/,
    )
    assert.doesNotMatch(r.stdout, /running/)
    const json = await expJson(['archive', 'running', 'bad', '--dry-run'], {cwd: ws})
    assert.equal(json.code, 1, 'an active experiment named is refused, even in a dry run')
    assert.equal(json.json.dry_run, true)
    assert.match(json.json.items[0].refused, /active/)
    assert.deepEqual(
      json.json.items[1].contents.map((c: any) => c.path),
      ['config.yaml', 'metadata.json', 'notes.md', 'reports/'],
    )
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('--list-only prints the summary and the experiments per status, and changes nothing', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', '--list-only'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Active: 1 {2}Success: 2 {2}Failed: 2 {2}Stale: 1$/m)
    assert.match(r.stdout, /^Success \(2\)\nNAME +STATUS/m)
    assert.match(r.stdout, /^Active \(1\) — never archived$/m)
    const json = await expJson(['archive', '--list-only'], {cwd: ws})
    assert.equal(json.json.list_only, true)
    assert.equal(json.json.experiments.length, 6)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('never overwrites an existing destination: that one fails, the others go on, exit 1', async () => {
    await writeTree(ws, {'experiments-archive/2025-01-10-good/keep.txt': 'an older archive'})
    const before = await treeSnapshot(path.join(ws, 'experiments-archive/2025-01-10-good'))
    const r = await exp(['archive', '--status', 'all', '--yes'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(
      r.stdout,
      /^failed 2025-01-10-good: experiments-archive\/2025-01-10-good already exists; it is never overwritten\.$/m,
    )
    assert.match(r.stdout, /Archived 4, skipped 0, failed 1/)
    assert.deepEqual(await treeSnapshot(path.join(ws, 'experiments-archive/2025-01-10-good')), before)
    assert.equal(await where(ws, '2024-06-01-forgotten'), 'archive')
    assert.ok(existsSync(path.join(ws, 'experiments/2025-01-10-good/config.yaml')))
  })

  it('without a terminal and without --yes refuses (exit 2) and says how; nothing changes', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', '--status', 'stale'], {cwd: ws})
    assert.equal(r.code, 2)
    assert.match(
      r.stderr,
      /^Error: archiving 1 experiment needs confirmation and there is no terminal to ask on\. Try: add --yes to archive them, or --dry-run to see what would happen\.$/m,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
    const json = await expJson(['archive', '--status', 'stale'], {cwd: ws})
    assert.equal(json.code, 2)
    assert.equal(json.json.error.code, 'NEEDS_YES')
  })

  it('nothing to archive is not an error', async () => {
    await fs.rm(path.join(ws, 'experiments'), {recursive: true})
    await makeExperiment(ws, '2025-02-02-new')
    const before = await treeSnapshot(ws)
    const r = await exp(['archive', '--status', 'all'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'Nothing to archive. (Active: 1  Success: 0  Failed: 0  Stale: 0 in experiments/)')
    assert.deepEqual(await treeSnapshot(ws), before, 'not even the lock was taken')
    const yes = await exp(['archive', '--status', 'all', '--yes'], {cwd: ws})
    assert.equal(yes.code, 0, yes.stderr)
    assert.match(yes.stdout, /^Nothing to archive\.\nArchived 0, skipped 0, failed 0/)
  })

  it('stamps every line with EXP_LOG_TIMESTAMPS=1 (as the cron line runs it)', async () => {
    const r = await exp(['archive', '--status', 'stale', '--yes'], {cwd: ws, env: {EXP_LOG_TIMESTAMPS: '1'}})
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.length, 2)
    for (const line of lines) assert.match(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (archived|Archived)/)
  })

  it('waits for a lock held by a live process, then fails with "workspace is locked by PID … since …" (exit 3)', async () => {
    const holder = execa('sleep', ['60'])
    try {
      const since = new Date().toISOString()
      await writeTree(ws, {
        '.exp/lock': {command: 'archive --status all --yes', host: os.hostname(), nonce: 'abc', pid: holder.pid, since},
      })
      const before = await treeSnapshot(path.join(ws, 'experiments'))
      const r = await exp(['archive', '--status', 'all', '--yes'], {cwd: ws, env: {EXP_LOCK_TIMEOUT_MS: '1000'}})
      assert.equal(r.code, 3)
      assert.equal(
        r.stderr.trim(),
        `Error: workspace is locked by PID ${holder.pid} since ${since} (exp archive --status all --yes). Try: wait for it to finish, then run the command again.`,
      )
      assert.deepEqual(await treeSnapshot(path.join(ws, 'experiments')), before)
    } finally {
      holder.kill()
      await holder.catch(() => {})
    }
    // the holder is dead now: its lock is taken over at once
    const r = await exp(['archive', '--status', 'stale', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
  })
})

describe('exp restore', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  beforeEach(async () => {
    ws = await mixedWorkspace()
    const r = await exp(['archive', '--status', 'all', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
  })
  afterEach(() => removeDir(ws))

  it('moves an archived experiment back whole; the archive record stays as history', async () => {
    const archived = await ownFiles(path.join(ws, 'experiments-archive/2025-01-11-bad'))
    const r = await exp(['restore', 'bad', '--yes'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /^Restored 2025-01-11-bad: experiments-archive\/2025-01-11-bad\/ → experiments\/2025-01-11-bad\/ \(archived as failed on .*\)\.$/m,
    )
    assert.equal(await where(ws, '2025-01-11-bad'), 'experiments')
    assert.deepEqual(await ownFiles(path.join(ws, 'experiments/2025-01-11-bad')), archived)
    const record = JSON.parse(await fs.readFile(path.join(ws, 'experiments/2025-01-11-bad/metadata.json'), 'utf8'))
    assert.equal(record.status, 'failed')
    assert.equal(record.archive.status, 'failed')
    assert.ok(record.archive.restored_at)
    // archived again: the earlier record is kept under previous
    assert.equal((await exp(['archive', 'bad', '--yes'], {cwd: ws})).code, 0)
    const again = JSON.parse(
      await fs.readFile(path.join(ws, 'experiments-archive/2025-01-11-bad/metadata.json'), 'utf8'),
    )
    assert.equal(again.archive.previous.length, 1)
    assert.equal(again.archive.previous[0].restored_at, record.archive.restored_at)
    assert.deepEqual(again.tags, ['lr'])
  })

  it('is refused when the name exists in experiments/ (nothing changes)', async () => {
    await makeExperiment(ws, '2025-01-10-good')
    const before = await treeSnapshot(ws)
    const r = await exp(['restore', '2025-01-10-good', '--yes'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /^Error: experiments\/2025-01-10-good already exists; restore never overwrites it\. Try: rename or archive experiments\/2025-01-10-good first\.$/m,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('refuses without a terminal and without --yes (exit 2); an unknown name is an error naming it; --dry-run changes nothing', async () => {
    const before = await treeSnapshot(ws)
    const noYes = await exp(['restore', 'good'], {cwd: ws})
    assert.equal(noYes.code, 2)
    assert.match(
      noYes.stderr,
      /needs confirmation and there is no terminal to ask on\. Try: exp restore 2025-01-10-good --yes/,
    )
    const unknown = await exp(['restore', 'nope', '--yes'], {cwd: ws})
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no archived experiment named "nope"/)
    const active = await exp(['restore', '2025-02-01-running', '--yes'], {cwd: ws})
    assert.equal(active.code, 1)
    assert.match(active.stderr, /"2025-02-01-running" is not archived/)
    const dry = await exp(['restore', 'good', '--dry-run'], {cwd: ws})
    assert.equal(dry.code, 0)
    assert.match(
      dry.stdout,
      /Would restore 2025-01-10-good: experiments-archive\/2025-01-10-good\/ → experiments\/2025-01-10-good\//,
    )
    assert.deepEqual(await treeSnapshot(ws), before)
  })
})

describe('exp archive on a terminal', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  let hasScript = false
  before(async () => {
    hasScript = (await execa('script', ['--version'], {reject: false}).catch(() => ({exitCode: 1}))).exitCode === 0
  })
  beforeEach(async () => {
    ws = await mixedWorkspace()
  })
  afterEach(() => removeDir(ws))

  /** Run exp under a pseudo-terminal (util-linux `script`), answer the prompt once it is shown. */
  async function onTerminal(args: string[], answer: string): Promise<{code: number; output: string}> {
    const {EXP_BIN} = await import('../support/exp.js')
    const command = [process.execPath, EXP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = execa('script', ['-qec', command, '/dev/null'], {cwd: ws, env: {EXP_ROOT: undefined}, reject: false})
    let output = ''
    let answered = false
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (!answered && output.includes('to the archive?')) {
        answered = true
        child.stdin!.write(answer)
        setTimeout(() => child.stdin!.write('\r'), 50)
      }
    })
    const r = await child
    return {code: r.exitCode ?? 1, output}
  }

  it('asks before moving, shows a progress bar, and does nothing when the answer is no', async function () {
    requireTool(this, hasScript, 'util-linux script (a pseudo-terminal)')
    const before = await treeSnapshot(ws)
    const no = await onTerminal(['archive', '--status', 'all'], 'n')
    assert.equal(no.code, 2, no.output)
    assert.match(no.output, /Move 5 experiments to the archive\?/)
    assert.match(no.output, /cancelled; nothing was archived/)
    assert.deepEqual(await treeSnapshot(ws), before)
    const yes = await onTerminal(['archive', '--status', 'all'], 'y')
    assert.equal(yes.code, 0, yes.output)
    assert.match(yes.output, /Archiving \[.*\] 5\/5/)
    assert.match(yes.output, /Archived 5, skipped 0, failed 0/)
    for (const name of names('all')) assert.equal(await where(ws, name), 'archive')
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs, readdirSync} from 'node:fs'
import path from 'node:path'

import {age, EXP_BIN, exp, expJson, removeDir, tempWorkspace, treeSnapshot, writeTree} from '../support/exp.js'

type Kind = 'success' | 'failed' | 'stale' | 'active'

interface Made {
  name: string
  kind: Kind
  metadata: Record<string, unknown>
  /** sha256 of every file, relative to the experiment directory */
  files: Record<string, string>
}

const kindOf = (i: number): Kind =>
  (['success', 'success', 'success', 'failed', 'failed', 'failed', 'stale', 'stale', 'stale', 'active'] as const)[
    i % 10
  ]

/**
 * A workspace of `count` experiments, each with config, notes, metadata, a report and checkpoints/ with two small
 * files; most end success/failed through real reports, stale through old mtimes, every tenth is active. Some
 * successes also have a workspace-level report (copied into the archive).
 */
async function crowdedWorkspace(count: number): Promise<{ws: string; made: Made[]}> {
  const ws = await tempWorkspace()
  const made: Made[] = []
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i)
    const name = `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}-exp-${String(i).padStart(3, '0')}`
    const metadata = {hypothesis: `latent ${i} helps`, name, schema: 1, seed: i}
    const report =
      kind === 'success'
        ? {final_nrmse: 0.05, gates_passed: true}
        : kind === 'failed'
          ? {final_nrmse: 0.4, gates_passed: false}
          : {final_nrmse: 0.2}
    const dir = path.join(ws, 'experiments', name)
    await writeTree(dir, {
      'checkpoints/step_1.pt': randomBytes(2048).toString('base64'),
      'checkpoints/step_2.pt': randomBytes(512).toString('base64'),
      'config.yaml': `model:\n  latent_dim: ${i}\ntraining:\n  seed: ${i}\n`,
      'metadata.json': metadata,
      'notes.md': `# ${name}\n\n## Hypothesis\n\nlatent ${i} helps\n`,
      'reports/eval.json': report,
    })
    if (kind === 'stale') await age(dir, 45)
    if (kind === 'success' && i % 7 === 0)
      await writeTree(ws, {[`reports/test_${name}.json`]: {experiment: name, final_nrmse: 0.05, gates_passed: true}})
    const files = await treeSnapshot(dir)
    for (const key of Object.keys(files)) if (key.endsWith('/')) delete files[key]
    made.push({files, kind, metadata, name})
  }
  return {made, ws}
}

/** Every file of every experiment exactly once, whole, in the right place; nothing half-done left anywhere. */
async function assertEveryFileOnce(ws: string, made: Made[]): Promise<{files: number}> {
  const active = await expJson(['list'], {cwd: ws})
  const archived = await expJson(['list', '--archived'], {cwd: ws})
  assert.equal(active.code, 0, active.stderr)
  assert.equal(archived.code, 0, archived.stderr)
  const listedActive = new Set(active.json.experiments.map((e: any) => e.name))
  const listedArchived = new Map<string, any>(archived.json.experiments.map((e: any) => [e.name, e]))
  assert.equal(listedActive.size + listedArchived.size, made.length, 'every experiment is listed once')
  let files = 0
  for (const m of made) {
    const inArchive = m.kind !== 'active'
    assert.equal(listedActive.has(m.name), !inArchive, `${m.name} (${m.kind}) listed in experiments/`)
    assert.equal(listedArchived.has(m.name), inArchive, `${m.name} (${m.kind}) listed in the archive`)
    if (inArchive) assert.equal(listedArchived.get(m.name).status, m.kind, `${m.name} keeps its status in the archive`)
    const here = path.join(ws, inArchive ? 'experiments-archive' : 'experiments', m.name)
    const other = path.join(ws, inArchive ? 'experiments' : 'experiments-archive', m.name)
    assert.ok(!existsSync(other), `${m.name} is not also in ${path.basename(path.dirname(other))}/`)
    const tree = await treeSnapshot(here)
    for (const key of Object.keys(tree)) if (key.endsWith('/')) delete tree[key]
    for (const [rel, sha] of Object.entries(m.files)) {
      files++
      if (rel === 'metadata.json' && inArchive) continue
      assert.equal(tree[rel], sha, `${m.name}/${rel} is whole`)
    }
    const extra = Object.keys(tree).filter((rel) => !(rel in m.files))
    if (inArchive) {
      const record = JSON.parse(await fs.readFile(path.join(here, 'metadata.json'), 'utf8'))
      for (const [k, v] of Object.entries(m.metadata))
        assert.deepEqual(record[k], v, `${m.name}: metadata key ${k} kept`)
      assert.equal(record.archive.status, m.kind)
      assert.equal(record.archive.file_count, Object.keys(m.files).length)
      const copies = record.archive.reports.map((r: any) => r.to)
      assert.deepEqual(extra.sort(), copies.sort(), `${m.name}: only the report copies were added`)
      for (const r of record.archive.reports) assert.equal(tree[r.to], r.sha256, `${m.name}/${r.to} copied whole`)
    } else {
      assert.deepEqual(extra, [], `${m.name}: nothing added`)
    }
  }
  assert.deepEqual(await fs.readdir(path.join(ws, '.exp', 'journal')).catch(() => []), [], 'no journal entry left')
  for (const dir of ['experiments', 'experiments-archive']) {
    assert.deepEqual(
      (await fs.readdir(path.join(ws, dir))).filter((n) => n.startsWith('.')),
      [],
      `no hidden leftovers in ${dir}/`,
    )
  }
  return {files}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('exp archive, killed at random instants (crash safety)', function () {
  this.timeout(180_000)
  let ws: string
  let twin: string
  afterEach(async () => {
    await removeDir(ws)
    await removeDir(twin)
  })

  it('SIGKILLed again and again over ~600 experiments, then run to the end: every file exists exactly once, whole', async () => {
    // 600 (nine batches of moves): a run a kill misses archives everything left and ends the kills, and with 300
    // (five batches) a fresh-clone CI run got only 8 kills in before that
    const count = 600
    const archivable = count - count / 10 // every tenth is active
    const {made, ws: root} = await crowdedWorkspace(count)
    ws = root
    // the same workspace archived without interruption, for the timing
    twin = `${ws}-twin`
    await execa('cp', ['-a', ws, twin])
    await execa('sync') // the copy's dirty pages would otherwise be flushed by the archive's first fsyncs
    const timed = Date.now()
    const clean = await expJson(['archive', '--status', 'all', '--yes'], {cwd: twin})
    const cleanMs = Date.now() - timed
    assert.equal(clean.code, 0, clean.stderr)
    assert.equal(clean.json.summary.archived, archivable)

    // startup + scan: a fifth of the kills land in it
    const startupStarted = Date.now()
    await exp(['list', '--json'], {cwd: ws, env: {EXP_NO_FAST_PATH: '1'}}) // start-up as archive's: through oclif
    const startupMs = Date.now() - startupStarted
    // a batch's time from the uninterrupted archive (64 moves to a journal entry); kills land within half of one after
    // a batch's entry appears, a span halved whenever a run got through untouched (the machine got faster)
    const batchMs = Math.max(1, (Number(clean.json.duration_ms) || cleanMs - startupMs) / Math.ceil(archivable / 64))
    let span = 0.5

    const started = Date.now()
    let kills = 0
    let midMove = 0
    let runs = 0
    for (;;) {
      runs++
      assert.ok(runs < 1000, 'the archive finishes') // after 60 s of kills the next run is left to finish
      const remaining = (await fs.readdir(path.join(ws, 'experiments'))).filter(
        (n) => !n.startsWith('.') && n !== 'README.md',
      ).length
      const toDo = remaining - (count - archivable)
      const child = execa(process.execPath, [EXP_BIN, 'archive', '--status', 'all', '--yes'], {
        cwd: ws,
        env: {EXP_ROOT: undefined},
        reject: false,
      })
      await fs.mkdir(path.join(ws, '.exp', 'journal'), {recursive: true})
      // a random instant: a fifth of the kills during start-up (lock take-over, recovery, scan), the others inside a
      // batch of moves (they go 64 to a journal entry): a few ms after a batch's entry appears, so the kills land all
      // over the run and each run moves at most a batch or two; after 60 s, or 30 kills, the run is left to finish
      const late = toDo <= 0 || Date.now() - started > 60_000 || (kills >= 30 && midMove >= 15)
      const atStartup = !late && Math.random() < 0.2
      const kill = () => child.kill('SIGKILL')
      const timer = atStartup ? setTimeout(kill, Math.random() * startupMs) : undefined
      const journalDir = path.join(ws, '.exp', 'journal')
      const watcher =
        late || atStartup
          ? undefined
          : setInterval(() => {
              if (!readdirSync(journalDir).some((name) => name.startsWith('batch-'))) return
              clearInterval(watcher)
              setTimeout(kill, Math.random() * batchMs * span) // a run left unkilled would archive all that is left
            }, 1)
      const r = await child
      clearTimeout(timer)
      clearInterval(watcher)
      if (r.signal === 'SIGKILL') {
        kills++
        const journal = await fs.readdir(journalDir).catch(() => [])
        if (journal.some((n) => n.endsWith('.json'))) midMove++
        continue
      }
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`)
      if (late) break
      if (!atStartup) span /= 2
    }
    const crashMs = Date.now() - started
    assert.ok(kills >= 10, `killed ${kills} times`)
    assert.ok(midMove >= 5, `${midMove} kills interrupted a move`)
    const {files} = await assertEveryFileOnce(ws, made)
    assert.equal(files, count * 6)
    console.log(
      `      crash test: ${kills} SIGKILLs (${midMove} in the middle of a move) over ${runs} runs in ${(crashMs / 1000).toFixed(1)}s; ` +
        `${files} files of ${count} experiments checked; an uninterrupted archive of the same ${archivable} took ${cleanMs} ms (${clean.json.duration_ms} ms after start-up)`,
    )
  })

  it('two archives, an exp new and an exp promote at the same time end as one archive and one promotion would', async () => {
    const {made, ws: root} = await crowdedWorkspace(60)
    ws = root
    twin = `${ws}-twin`
    await execa('cp', ['-a', ws, twin])
    const winner = made.find((m) => m.kind === 'success')!.name
    const promoteArgs = ['promote', winner, '--nrmse-threshold', '0.1', '--auto-promote']
    assert.equal((await exp(promoteArgs, {cwd: twin})).code, 0)
    const one = await expJson(['archive', '--status', 'all', '--yes'], {cwd: twin})
    assert.equal(one.code, 0, one.stderr)

    const first = exp(['archive', '--status', 'all', '--yes', '--json'], {cwd: ws})
    const second = exp(['archive', '--status', 'all', '--yes', '--json'], {cwd: ws})
    // the new and the promote start once an archive holds the workspace lock (a fixed pause may end before either started)
    const deadline = Date.now() + 20_000
    while (!existsSync(path.join(ws, '.exp', 'lock')) && Date.now() < deadline) await sleep(5)
    const created = exp(['new', 'while-archiving', '--date', '2025-06-01'], {cwd: ws})
    // promotion works on the experiment before or after it moved: either way it is recorded once
    const promoted = exp(promoteArgs, {cwd: ws})
    const results = await Promise.all([first, second, created, promoted])
    for (const r of results.slice(0, 2)) {
      // the second one waits for the lock; on a very slow machine it may give up after 10 s, saying why
      if (r.code === 3) assert.match(r.stderr + r.stdout, /workspace is locked by PID \d+ since/)
      else assert.equal(r.code, 0, r.stderr)
    }
    assert.equal(results[2].code, 0, results[2].stderr)
    assert.equal(results[3].code, 0, results[3].stderr)
    const slug = winner.replace(/^\d{4}-\d{2}-\d{2}-/, '')
    assert.ok(existsSync(path.join(ws, 'configs', `train_${slug}.yaml`)), 'the production config was written')
    const rows = (await fs.readFile(path.join(ws, 'reports', 'leaderboard.csv'), 'utf8')).trim().split('\n')
    assert.equal(rows.length, 2, 'a header and exactly one row')
    const record = JSON.parse(await fs.readFile(path.join(ws, 'experiments-archive', winner, 'metadata.json'), 'utf8'))
    assert.equal(record.promotions.length, 1, 'the promotion is recorded once, in the archived experiment')
    const summaries = results
      .slice(0, 2)
      .filter((r) => r.code === 0)
      .map((r) => JSON.parse(r.stdout).summary)
    assert.equal(
      summaries.reduce((n, s) => n + s.archived, 0),
      54,
      'each experiment archived once',
    )
    assert.equal(
      summaries.reduce((n, s) => n + s.failed, 0),
      0,
      'no collisions',
    )

    await assertEveryFileOnce(ws, [...made, ...(await madeByNew(ws))])
    // the same outcome as one uninterrupted run (metadata.json holds times, so it is compared by its keys)
    const strip = async (dir: string) => {
      const tree = await treeSnapshot(dir)
      // the promoted config and the leaderboard carry the time of promotion: checked above
      const timed = (key: string) =>
        key.startsWith('configs/train_') || key.startsWith('configs/.history') || key === 'reports/leaderboard.csv'
      for (const key of Object.keys(tree))
        if (key.endsWith('metadata.json') || key.startsWith('.exp/') || key.includes('while-archiving') || timed(key))
          delete tree[key]
      return tree
    }
    assert.deepEqual(await strip(ws), await strip(twin))
  })
})

/** The experiment exp new made during the race, as a Made (it must stay in experiments/, active). */
async function madeByNew(ws: string): Promise<Made[]> {
  const name = '2025-06-01-while-archiving'
  const dir = path.join(ws, 'experiments', name)
  const files = await treeSnapshot(dir)
  for (const key of Object.keys(files)) if (key.endsWith('/')) delete files[key]
  return [
    {files, kind: 'active', metadata: JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8')), name},
  ]
}

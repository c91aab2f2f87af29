import {execa} from 'execa'
import assert from 'node:assert/strict'
import {existsSync, promises as fs, statSync} from 'node:fs'
import path from 'node:path'

import {archiveExperiments} from '../../src/archive/archive.js'
import {restoreExperiment} from '../../src/archive/restore.js'
import '../../src/recovery-handlers.js'
import {recoverInterrupted, registerRecovery} from '../../src/workspace/recovery.js'
import {openWorkspace, type Workspace} from '../../src/workspace/workspace.js'
import {bundledScript} from '../support/bundle.js'
import {ROOT, removeDir, requireTool, tempDir, treeSnapshot, writeTree} from '../support/exp.js'

const NAME = '2025-01-10-good'
const METADATA = {hypothesis: 'wider is better', name: NAME, schema: 1, status: 'success'}
const CRASHER = path.join(ROOT, 'test', 'support', 'move-crash.ts')
const now = () => new Date()

async function makeWorkspace(dir: string, settings = ''): Promise<Workspace> {
  await writeTree(dir, {
    'exp.yaml': settings,
    [`experiments/${NAME}/checkpoints/model.pt`]: 'weights'.repeat(1000),
    [`experiments/${NAME}/checkpoints/optimizer.pt`]: 'adam'.repeat(500),
    [`experiments/${NAME}/config.yaml`]: 'model:\n  latent_dim: 64 # wider\n',
    [`experiments/${NAME}/metadata.json`]: METADATA,
    [`experiments/${NAME}/notes.md`]: `# ${NAME}\n\nStatus: ✓\n`,
    [`experiments/${NAME}/reports/eval.json`]: {final_nrmse: 0.05, gates_passed: true},
    [`reports/test_${NAME}.json`]: {final_nrmse: 0.05, gates_passed: true},
  })
  await fs.mkdir(path.join(dir, 'experiments-archive'), {recursive: true})
  return openWorkspace({root: dir})
}

/** Every original file in exactly one place, whole; the archive record when archived; nothing left over. */
async function assertWhole(
  ws: Workspace,
  original: Record<string, string>,
  where: 'experiments' | 'archive',
): Promise<void> {
  const active = path.join(ws.paths.experiments, NAME)
  const archived = path.join(ws.paths.archive, NAME)
  assert.equal(existsSync(active), where === 'experiments', `in experiments/: ${existsSync(active)}`)
  assert.equal(existsSync(archived), where === 'archive', `in the archive: ${existsSync(archived)}`)
  const now = await treeSnapshot(where === 'archive' ? archived : active)
  for (const [rel, sha] of Object.entries(original)) {
    if (rel === 'metadata.json' && where === 'archive') continue
    assert.equal(now[rel], sha, `${rel} is whole`)
  }
  const extra = Object.keys(now).filter((rel) => !(rel in original))
  if (where === 'archive') {
    const record = JSON.parse(await fs.readFile(path.join(archived, 'metadata.json'), 'utf8'))
    for (const [k, v] of Object.entries(METADATA)) assert.deepEqual(record[k], v, `metadata key ${k} kept`)
    assert.equal(record.archive.status, 'success')
    assert.deepEqual(extra, ['reports/test_2025-01-10-good.json'])
  } else {
    assert.deepEqual(extra, [], 'nothing staged is left behind')
  }
  assert.deepEqual(await fs.readdir(ws.paths.journal).catch(() => []), [], 'journal empty')
  for (const dir of [ws.paths.experiments, ws.paths.archive]) {
    assert.deepEqual(
      (await fs.readdir(dir)).filter((n) => n.startsWith('.')),
      [],
      `no hidden copies in ${dir}`,
    )
  }
}

async function crashAt(ws: Workspace, op: 'archive' | 'restore', point: string, mode: 'same' | 'cross'): Promise<void> {
  const r = await execa(process.execPath, [await bundledScript(CRASHER), ws.root, op, NAME, point, mode], {
    cwd: ROOT,
    reject: false,
  })
  assert.equal(r.signal, 'SIGKILL', `the ${op} was killed at "${point}" (exit ${r.exitCode}: ${r.stderr})`)
  // one entry per move (across filesystems) or per batch (one filesystem): either names the experiment
  const entries = await Promise.all(
    (await fs.readdir(ws.paths.journal)).map((f) => fs.readFile(path.join(ws.paths.journal, f), 'utf8')),
  )
  assert.ok(
    entries.some(
      (text) =>
        JSON.parse(text).dst?.endsWith(NAME) || JSON.parse(text).moves?.some((m: {name: string}) => m.name === NAME),
    ),
    'the journal names the interrupted move',
  )
}

describe('journaled moves (archive and restore) killed at every step', () => {
  let dir: string
  afterEach(() => removeDir(dir))

  const cases: Array<[mode: 'same' | 'cross', point: string, after: 'experiments' | 'archive']> = [
    ['same', 'journaled', 'experiments'],
    ['same', 'staging', 'experiments'],
    ['same', 'staged', 'experiments'],
    ['same', 'committed', 'archive'],
    ['same', 'finished', 'archive'],
    ['cross', 'staged', 'experiments'],
    ['cross', 'copied', 'experiments'],
    ['cross', 'committed', 'archive'],
    ['cross', 'source-removed', 'archive'],
    ['cross', 'finished', 'archive'],
  ]
  for (const [mode, point, after] of cases) {
    it(`archive, ${mode === 'same' ? 'one filesystem' : 'across filesystems'}, killed at "${point}": recovery leaves it whole in ${after}/`, async () => {
      dir = await tempDir('exp-move-')
      const ws = await makeWorkspace(dir)
      const original = await treeSnapshot(path.join(ws.paths.experiments, NAME))
      const mtime = (await fs.stat(path.join(ws.paths.experiments, NAME))).mtimeMs
      await crashAt(ws, 'archive', point, mode)
      const lines = await recoverInterrupted(ws)
      // rolled back: not even the folder's mtime changed (a stale experiment stays stale)
      if (after === 'experiments') assert.equal((await fs.stat(path.join(ws.paths.experiments, NAME))).mtimeMs, mtime)
      assert.equal(lines.length, 1, lines.join('\n'))
      assert.match(
        lines[0],
        after === 'archive' ? /finished the interrupted archiving/ : /rolled back the interrupted archiving/,
      )
      await assertWhole(ws, original, after)
      if (after === 'experiments') {
        // and the next run does the job
        const again = await archiveExperiments(ws, {names: [NAME], now})
        assert.equal(again.summary.archived, 1, JSON.stringify(again.results))
        await assertWhole(ws, original, 'archive')
      }
    })
  }

  for (const [point, after] of [
    ['staged', 'archive'],
    ['committed', 'experiments'],
  ] as const) {
    it(`restore killed at "${point}": recovery leaves it whole in ${after}/`, async () => {
      dir = await tempDir('exp-move-')
      const ws = await makeWorkspace(dir)
      await archiveExperiments(ws, {names: [NAME], now})
      const archivedTree = await treeSnapshot(path.join(ws.paths.archive, NAME))
      await crashAt(ws, 'restore', point, 'same')
      await recoverInterrupted(ws)
      const here = path.join(after === 'archive' ? ws.paths.archive : ws.paths.experiments, NAME)
      assert.ok(existsSync(here))
      assert.equal(existsSync(path.join(after === 'archive' ? ws.paths.experiments : ws.paths.archive, NAME)), false)
      const tree = await treeSnapshot(here)
      for (const [rel, sha] of Object.entries(archivedTree))
        if (rel !== 'metadata.json') assert.equal(tree[rel], sha, rel)
      for (const d of [ws.paths.experiments, ws.paths.archive])
        assert.deepEqual(
          (await fs.readdir(d)).filter((n) => n.startsWith('.')),
          [],
        )
      const record = JSON.parse(await fs.readFile(path.join(here, 'metadata.json'), 'utf8'))
      assert.equal(record.archive.status, 'success', 'the archive record stays as history')
      assert.equal(typeof record.archive.restored_at === 'string', after === 'experiments')
    })
  }

  it('after a cross-filesystem commit, removes a partly removed source only once what is left of it checks out', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    const original = await treeSnapshot(path.join(ws.paths.experiments, NAME))
    await crashAt(ws, 'archive', 'committed', 'cross')
    // as if the removal of the source had started: some files already gone
    await fs.rm(path.join(ws.paths.experiments, NAME, 'checkpoints'), {recursive: true})
    const lines = await recoverInterrupted(ws)
    assert.match(lines.join('\n'), /finished the interrupted archiving/)
    await assertWhole(ws, original, 'archive')
  })

  it('keeps both copies (and the journal) when the source left behind differs from the verified copy', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    await crashAt(ws, 'archive', 'committed', 'cross')
    await fs.writeFile(path.join(ws.paths.experiments, NAME, 'notes.md'), 'edited after the copy\n')
    const lines = await recoverInterrupted(ws)
    assert.match(
      lines.join('\n'),
      /could not recover the interrupted archiving of 2025-01-10-good: .*notes\.md: .*journal entry kept/,
    )
    assert.ok(existsSync(path.join(ws.paths.experiments, NAME, 'notes.md')))
    assert.ok(existsSync(path.join(ws.paths.archive, NAME, 'notes.md')))
    assert.ok(existsSync(path.join(ws.paths.journal, `move-${NAME}.json`)))
    // and that experiment is not moved again while its step is unresolved
    const again = await archiveExperiments(ws, {names: [NAME], now}).catch((error) => error)
    assert.match(
      String(again.message ?? JSON.stringify(again.results)),
      /already exists; it is never overwritten|could not be completed/,
    )
  })

  it('keeps a partial copy and the staged record when the source vanished by other means, and says so', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    await crashAt(ws, 'archive', 'copied', 'cross')
    await fs.rm(path.join(ws.paths.experiments, NAME), {recursive: true}) // not exp's doing
    const lines = await recoverInterrupted(ws)
    assert.match(
      lines.join('\n'),
      /found it in neither experiments\/2025-01-10-good nor experiments-archive\/2025-01-10-good; kept for you to look at: experiments-archive\/\.2025-01-10-good\.exp-copy, experiments-archive\/\.2025-01-10-good\.exp-staging/,
    )
    assert.ok(existsSync(path.join(ws.paths.archive, `.${NAME}.exp-copy`, 'checkpoints', 'model.pt')))
  })

  it('a read-only command (the listing) recovers a pending step when the lock is free', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    const original = await treeSnapshot(path.join(ws.paths.experiments, NAME))
    await crashAt(ws, 'archive', 'committed', 'same')
    const {listExperiments} = await import('../../src/experiments/listing.js')
    const list = await listExperiments(ws, {archived: true, now})
    assert.deepEqual(
      list.experiments.map((e) => [e.name, e.status]),
      [[NAME, 'success']],
    )
    await assertWhole(ws, original, 'archive')
  })

  it('an ordinary failure while staging puts everything back and the others go on', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    const before = await treeSnapshot(dir)
    const result = await archiveExperiments(ws, {
      hooks: {
        at(point) {
          if (point === 'staging') throw new Error('disk full')
        },
      },
      names: [NAME],
      now,
    })
    assert.equal(result.summary.failed, 1)
    assert.match(result.results[0].error!, /disk full/)
    const after = await treeSnapshot(dir)
    for (const key of Object.keys(after)) if (key.startsWith('.exp/')) delete after[key]
    assert.deepEqual(after, before)
  })

  it('never overwrites a destination that appears during the move: the experiment stays where it was', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    const original = await treeSnapshot(path.join(ws.paths.experiments, NAME))
    const intruder = path.join(ws.paths.archive, NAME)
    const result = await archiveExperiments(ws, {
      hooks: {
        async at(point) {
          if (point === 'staged') await writeTree(intruder, {'mine.txt': 'someone else'})
        },
      },
      names: [NAME],
      now,
    })
    assert.equal(result.summary.failed, 1)
    assert.deepEqual(await fs.readdir(intruder), ['mine.txt'])
    assert.equal(await fs.readFile(path.join(intruder, 'mine.txt'), 'utf8'), 'someone else')
    const tree = await treeSnapshot(path.join(ws.paths.experiments, NAME))
    assert.deepEqual(tree, original)
  })

  it('moves across real filesystems: copy, verify, then remove the source', async function () {
    const shm = '/dev/shm'
    const other = existsSync(shm) ? statSync(shm).dev : undefined
    dir = await tempDir('exp-move-')
    requireTool(
      this,
      other !== undefined && other !== statSync(dir).dev,
      'a tmpfs at /dev/shm on another filesystem than the temporary folder',
    )
    const archive = await fs.mkdtemp(path.join(shm, 'exp-archive-'))
    try {
      const ws = await makeWorkspace(dir, `paths:\n  archive: ${archive}\n`)
      const original = await treeSnapshot(path.join(ws.paths.experiments, NAME))
      const result = await archiveExperiments(ws, {names: [NAME], now})
      assert.equal(result.summary.archived, 1, JSON.stringify(result.results))
      assert.equal(result.results[0].cross_device, true)
      await assertWhole(ws, original, 'archive')
      await restoreExperiment(ws, {name: NAME, now})
      assert.ok(existsSync(path.join(ws.paths.experiments, NAME, 'checkpoints', 'model.pt')))
      assert.deepEqual(await fs.readdir(archive), [])
    } finally {
      await removeDir(archive)
    }
  })

  it('recovery dispatches each entry to the handler registered for its operation; an unknown one is left alone', async () => {
    dir = await tempDir('exp-move-')
    const ws = await makeWorkspace(dir)
    await fs.mkdir(ws.paths.journal, {recursive: true})
    const entry = (id: string, op: string) => ({
      id,
      op,
      phase: 'x',
      pid: 1,
      schema: 1,
      started_at: new Date().toISOString(),
    })
    await fs.writeFile(path.join(ws.paths.journal, 'a.json'), JSON.stringify(entry('a', 'test-step')))
    await fs.writeFile(path.join(ws.paths.journal, 'b.json'), JSON.stringify(entry('b', 'from-the-future')))
    const seen: string[] = []
    registerRecovery(['test-step'], async () => ({
      recover: async (_ws, e) => {
        seen.push(e.id)
        return `finished test step ${e.id}.`
      },
      what: (e) => e.id,
    }))
    const lines = await recoverInterrupted(ws)
    assert.deepEqual(seen, ['a'])
    assert.deepEqual(lines, [
      'finished test step a.',
      'journal entry b has an unknown step "from-the-future" (from a newer exp?); left alone.',
    ])
    assert.deepEqual(await fs.readdir(ws.paths.journal), ['b.json'])
  })

  // archiving 100 experiments on one filesystem goes in batches of 64 (one journal entry each): killed inside a
  // batch — mid-staging of its 40th experiment, or at a batch's step — recovery leaves each whole in one place
  const batchCases: Array<[point: string, nth: number, archived: number]> = [
    ['journaled', 2, 64],
    ['staging', 40, 0],
    ['staged', 2, 64],
    ['committed', 2, 100],
    ['finished', 1, 64],
  ]
  for (const [point, nth, archived] of batchCases) {
    it(`archiving in batches, killed at the ${nth}th "${point}": ${archived} of 100 archived, every file exactly once`, async () => {
      dir = await tempDir('exp-move-')
      const names = Array.from({length: 100}, (_, i) => `2025-01-10-e${String(i).padStart(3, '0')}`)
      const tree: Record<string, string | object> = {'exp.yaml': ''}
      for (const name of names) {
        tree[`experiments/${name}/config.yaml`] = `name: ${name}\n`
        tree[`experiments/${name}/metadata.json`] = {name, schema: 1}
        tree[`experiments/${name}/reports/eval.json`] = {final_nrmse: 0.05, gates_passed: true}
        tree[`experiments/${name}/checkpoints/model.pt`] = `weights of ${name}`
      }
      await writeTree(dir, tree)
      const before = await treeSnapshot(path.join(dir, 'experiments'))
      const crasher = [
        `import {archiveExperiments} from ${JSON.stringify(path.join(ROOT, 'src/archive/archive.ts'))}`,
        `import {openWorkspace} from ${JSON.stringify(path.join(ROOT, 'src/workspace/workspace.ts'))}`,
        `let seen = 0`,
        `const hooks = {at: (p) => { if (p === ${JSON.stringify(point)} && ++seen === ${nth}) process.kill(process.pid, 'SIGKILL') }}`,
        `await archiveExperiments(await openWorkspace({root: ${JSON.stringify(dir)}}), {hooks, now: () => new Date(), status: ['all']})`,
      ].join('\n')
      const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', crasher], {
        cwd: ROOT,
        reject: false,
      })
      assert.equal(r.signal, 'SIGKILL', r.stderr)
      const ws = await openWorkspace({root: dir})
      const pending = await fs.readdir(ws.paths.journal)
      assert.equal(pending.length, 1, `one batch entry pending: ${pending.join(', ')}`)
      await recoverInterrupted(ws)
      const files = async (d: string) =>
        Object.fromEntries(
          Object.entries(await treeSnapshot(d)).filter(([rel, sha]) => sha !== 'dir' || /^\.[^/]/.test(rel)),
        )
      const [active, done] = [await files(ws.paths.experiments), await files(ws.paths.archive)]
      for (const [rel, sha] of Object.entries(before)) {
        if (sha === 'dir') continue
        const inArchive = rel in done
        assert.notEqual(rel in active, inArchive, `${rel} in exactly one place`)
        if (!rel.endsWith('metadata.json')) assert.equal(inArchive ? done[rel] : active[rel], sha, `${rel} whole`)
      }
      const arrived = [...new Set(Object.keys(done).map((rel) => rel.split('/')[0]))]
      assert.equal(arrived.length, archived)
      for (const name of arrived) {
        const record = JSON.parse(await fs.readFile(path.join(ws.paths.archive, name, 'metadata.json'), 'utf8'))
        assert.equal(record.name, name, `${name}: its own metadata kept`)
        assert.equal(record.archive?.status, 'success', `${name} arrived with its archive record`)
      }
      assert.deepEqual(
        Object.keys(active).filter((rel) => !(rel in before)),
        [],
        'nothing staged left in experiments/',
      )
      assert.deepEqual(
        Object.keys(done).filter((rel) => !(rel in before) || rel.startsWith('.')),
        [],
        'nothing staged left in the archive',
      )
      assert.deepEqual(await fs.readdir(ws.paths.journal), [], 'journal empty')
    })
  }
  it('one move of a batch failing while staging takes only its own staged files back; the rest arrive with their records', async () => {
    dir = await tempDir('exp-move-')
    const names = Array.from({length: 5}, (_, i) => `2025-01-10-b${i}`)
    const tree: Record<string, string | object> = {'exp.yaml': ''}
    for (const name of names) {
      tree[`experiments/${name}/config.yaml`] = `name: ${name}\n`
      tree[`experiments/${name}/metadata.json`] = {name, schema: 1}
      tree[`experiments/${name}/reports/eval.json`] = {final_nrmse: 0.05, gates_passed: true}
      tree[`reports/test_${name}.json`] = {final_nrmse: 0.05, gates_passed: true}
    }
    await writeTree(dir, tree)
    const ws = await openWorkspace({root: dir})
    const before = await treeSnapshot(ws.paths.experiments)
    let calls = 0
    const result = await archiveExperiments(ws, {
      hooks: {
        at(point) {
          // the third experiment's report copy is staged when it fails: that copy must go, the others' stay
          if (point === 'staging' && ++calls === 3) throw new Error('disk full')
        },
      },
      now,
      status: ['all'],
    })
    assert.equal(result.summary.archived, 4, JSON.stringify(result.results))
    assert.equal(result.summary.failed, 1)
    const failed = result.results.find((r) => r.outcome === 'failed')!
    assert.match(failed.error!, /disk full/)
    // which one meets the failure depends on the order its parallel steps finish in: it is left exactly as it was
    const own = (tree: Record<string, string>) =>
      Object.fromEntries(Object.entries(tree).filter(([rel]) => rel.startsWith(`${failed.name}/`)))
    assert.deepEqual(own(await treeSnapshot(ws.paths.experiments)), own(before))
    assert.notDeepEqual(own(before), {})
    for (const name of names.filter((n) => n !== failed.name)) {
      const record = JSON.parse(await fs.readFile(path.join(ws.paths.archive, name, 'metadata.json'), 'utf8'))
      assert.equal(record.archive.status, 'success')
      assert.equal(record.archive.reports.length, 1, `${name}: its report copy arrived`)
      assert.ok(existsSync(path.join(ws.paths.archive, name, 'reports', `test_${name}.json`)))
    }
    assert.deepEqual(
      await fs.readdir(ws.paths.archive),
      names.filter((n) => n !== failed.name),
    )
    assert.deepEqual(await fs.readdir(ws.paths.journal), [])
  })

  it('recovers a batch left by an earlier exp, whose moves staged in folders of their own', async () => {
    dir = await tempDir('exp-move-')
    const names = ['2025-01-10-committed', '2025-01-10-staged', '2025-01-10-finished']
    const tree: Record<string, string | object> = {'exp.yaml': ''}
    const record = (name: string) => ({archive: {status: 'success'}, name})
    // the disk as such a batch leaves it when killed: one committed, one only staged, one finished
    tree[`experiments-archive/2025-01-10-committed/config.yaml`] = 'a: 1\n'
    tree[`experiments-archive/.2025-01-10-committed.exp-staging/metadata.json`] = record(names[0])
    tree[`experiments/2025-01-10-staged/config.yaml`] = 'a: 2\n'
    tree[`experiments-archive/.2025-01-10-staged.exp-staging/metadata.json`] = record(names[1])
    tree[`experiments-archive/2025-01-10-finished/config.yaml`] = 'a: 3\n'
    tree[`experiments-archive/2025-01-10-finished/metadata.json`] = record(names[2])
    await writeTree(dir, tree)
    const ws = await openWorkspace({root: dir})
    const identity = async (p: string) => {
      const st = await fs.lstat(p, {bigint: true})
      return {dev: String(st.dev), ino: String(st.ino)}
    }
    const moves = await Promise.all(
      names.map(async (name) => ({
        copy: `experiments-archive/.${name}.exp-copy`,
        dst: `experiments-archive/${name}`,
        id: `move-${name}`,
        name,
        op: 'archive',
        phase: 'move',
        pid: 1,
        schema: 1,
        src: `experiments/${name}`,
        src_identity: await identity(
          path.join(dir, name.endsWith('staged') ? 'experiments' : 'experiments-archive', name),
        ),
        staged: [{from: 'metadata.json', replace: true, to: 'metadata.json'}],
        staging: `experiments-archive/.${name}.exp-staging`,
        started_at: new Date().toISOString(),
      })),
    )
    await fs.mkdir(ws.paths.journal, {recursive: true})
    const batch = {id: 'batch-old', moves, op: 'move-batch', phase: 'move', pid: 1, schema: 1, started_at: ''}
    await fs.writeFile(path.join(ws.paths.journal, 'batch-old.json'), JSON.stringify(batch))
    const lines = await recoverInterrupted(ws)
    assert.deepEqual(lines, [
      'finished the interrupted archiving of 2025-01-10-committed: it is in experiments-archive/2025-01-10-committed.',
      'rolled back the interrupted archiving of 2025-01-10-staged: it is still in experiments/2025-01-10-staged.',
      'finished the interrupted archiving of 2025-01-10-finished: it is in experiments-archive/2025-01-10-finished.',
    ])
    assert.deepEqual(await fs.readdir(ws.paths.archive), ['2025-01-10-committed', '2025-01-10-finished'])
    assert.deepEqual(
      JSON.parse(await fs.readFile(path.join(ws.paths.archive, names[0], 'metadata.json'), 'utf8')),
      record(names[0]),
    )
    assert.deepEqual(await fs.readdir(path.join(ws.paths.experiments, names[1])), ['config.yaml'])
    assert.deepEqual(await fs.readdir(ws.paths.journal), [])
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, exp, expJson, removeDir, tempWorkspace, writeTree} from '../support/exp.js'

const COUNT = 50
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

/** Where every YAML file of configs/ and every experiment's config.yaml is, by sha256 (hidden folders included). */
async function locations(ws: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  const add = async (file: string) => {
    const digest = sha(await fs.readFile(file))
    out.set(digest, [...(out.get(digest) ?? []), path.relative(ws, file)])
  }
  for (const name of await fs.readdir(path.join(ws, 'configs')))
    if (name.endsWith('.yaml')) await add(path.join(ws, 'configs', name))
  for (const name of await fs.readdir(path.join(ws, 'experiments'))) {
    const config = path.join(ws, 'experiments', name, 'config.yaml')
    if (await fs.stat(config).catch(() => undefined)) await add(config)
  }
  return out
}

/** Each file exactly once, in configs/ or as the config.yaml of its own migration experiment; nothing half-done. */
async function assertEachOnce(ws: string, files: Map<string, string>, final = false): Promise<number> {
  const found = await locations(ws)
  let adopted = 0
  for (const [digest, name] of files) {
    const where = found.get(digest) ?? []
    assert.equal(where.length, 1, `${name} exists exactly once (found: ${JSON.stringify(where)})`)
    const ok = [`configs/${name}.yaml`, `experiments/2025-07-01-migration-${name}/config.yaml`]
    assert.ok(ok.includes(where[0]), `${name} is in configs/ or in its experiment, not ${where[0]}`)
    if (where[0].startsWith('experiments/')) {
      adopted++
      const dir = path.join(ws, path.dirname(where[0]))
      const metadata = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8'))
      assert.equal(metadata.adopted.sha256, digest, `${name}: its metadata.json records where it came from`)
      assert.match(
        await fs.readFile(path.join(dir, 'notes.md'), 'utf8'),
        new RegExp(`Original: \`configs/${name}\\.yaml\``),
      )
    }
  }
  assert.deepEqual(
    (await fs.readdir(path.join(ws, 'experiments'))).filter((n) => n.startsWith('.')),
    [],
    'no hidden leftovers',
  )
  // a kill while a journal entry was being written leaves its hidden temporary file: not an entry; the next command
  // that takes the lock removes it (so it is gone at the end)
  const journal = await fs.readdir(path.join(ws, '.exp', 'journal')).catch(() => [] as string[])
  assert.deepEqual(final ? journal : journal.filter((n) => !n.startsWith('.')), [], 'no journal entry left')
  return adopted
}

describe('exp adopt, killed at random instants (crash safety)', function () {
  this.timeout(120_000)
  let ws: string
  after(() => removeDir(ws))

  it(`SIGKILLed again and again during an adopt of ${COUNT} files: every file exists exactly once (by sha256), in configs/ or in its experiment`, async () => {
    ws = await tempWorkspace()
    const files = new Map<string, string>()
    for (let i = 0; i < COUNT; i++) {
      const name = `train_${String(i).padStart(2, '0')}_experimental`
      const text = `# run ${i}\nmodel:\n  latent_dim: ${i}\nnoise: ${randomBytes(48).toString('base64')}\n`
      await writeTree(ws, {[`configs/${name}.yaml`]: text})
      files.set(sha(text), name)
    }
    const args = ['adopt', '--pattern', '*_experimental*', '--yes', '--date', '2025-07-01']
    // start-up alone (exp list), and an uninterrupted adopt of the same files, to spread the kills over the work
    const twin = `${ws}-twin`
    await execa('cp', ['-a', ws, twin])
    let t = Date.now()
    await exp(['list', '--json'], {cwd: twin})
    const startupMs = Date.now() - t
    t = Date.now()
    const clean = await exp(args, {cwd: twin})
    const cleanMs = Date.now() - t
    assert.equal(clean.code, 0, clean.stderr)
    // the time per file, from the adopted_at the uninterrupted run recorded; adapted to the machine's load below
    const stamps = await Promise.all(
      [...files.values()].map(async (name) =>
        Date.parse(
          JSON.parse(
            await fs.readFile(path.join(twin, 'experiments', `2025-07-01-migration-${name}`, 'metadata.json'), 'utf8'),
          ).adopted.adopted_at,
        ),
      ),
    )
    let perFileMs = Math.max(1, (Math.max(...stamps) - Math.min(...stamps)) / (COUNT - 1))
    await removeDir(twin)
    const journalDir = path.join(ws, '.exp', 'journal')

    let kills = 0
    let midStep = 0
    let runs = 0
    const started = Date.now()
    for (;;) {
      runs++
      assert.ok(runs < 200, 'the adopt finishes')
      const remaining = async (): Promise<number> =>
        (await fs.readdir(path.join(ws, 'configs'))).filter((n) => n.includes('_experimental')).length
      const child = execa(process.execPath, [EXP_BIN, ...args], {cwd: ws, env: {EXP_ROOT: undefined}, reject: false})
      let ended = false
      void child.finally(() => (ended = true))
      // a random instant: a fifth during start-up (lock take-over, recovery, planning); the others once the adopt has
      // begun (its first journal entry appears), within the next three files or so; after 30 s (and at least 8 kills:
      // a loaded machine starts fewer runs in 30 s) the run is left to finish
      const before = await remaining()
      let begun = 0
      if (Date.now() - started < 30_000 || kills < 8) {
        if (Math.random() < 0.2) {
          await sleep(Math.random() * startupMs)
        } else {
          while (!ended && !(await fs.readdir(journalDir).catch(() => [] as string[])).some((n) => n.endsWith('.json')))
            await sleep(2)
          begun = Date.now()
          await sleep(Math.random() * perFileMs * 3)
        }
        child.kill('SIGKILL')
      }
      const r = await child
      if (r.signal !== 'SIGKILL') {
        // done, or (when a kill came after the last file) nothing left to adopt
        assert.ok(r.exitCode === 0 || /no YAML file in configs\/ matches/.test(r.stderr), `${r.stdout}\n${r.stderr}`)
        if ((await remaining()) === 0) break
        continue
      }
      kills++
      const done = before - (await remaining())
      // the window follows the machine: a run that got through more files than the window meant (a load spike when
      // the uninterrupted run was timed) shrinks it at once, so a missed kill cannot end the test after a few kills
      if (begun && done > 0) perFileMs = Math.min(perFileMs, (Date.now() - begun) / done)
      if ((await fs.readdir(journalDir).catch(() => [] as string[])).some((n) => n.endsWith('.json'))) midStep++
      // any exp command recovers (a listing when the lock is free): then every file is whole, once
      const list = await expJson(['list'], {cwd: ws})
      assert.equal(list.code, 0, list.stderr)
      await assertEachOnce(ws, files)
    }
    const adopted = await assertEachOnce(ws, files, true)
    assert.equal(adopted, COUNT)
    const list = await expJson(['list'], {cwd: ws})
    assert.equal(
      list.json.experiments.filter((e: any) => e.name.includes('-migration-')).length,
      COUNT,
      'exp list shows every adopted experiment',
    )
    assert.ok(kills >= 8, `killed ${kills} times`)
    assert.ok(midStep >= 3, `${midStep} kills interrupted a step`)
    console.log(
      `      adopt crash test: ${kills} SIGKILLs (${midStep} in the middle of a step) over ${runs} runs in ${((Date.now() - started) / 1000).toFixed(1)}s; ${COUNT} files checked by sha256 after every kill; an uninterrupted adopt took ${cleanMs} ms`,
    )
  })
})

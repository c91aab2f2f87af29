import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {exp, ROOT, removeDir, tempDir} from '../support/exp.js'

/**
 * The help text the build renders with oclif (scripts/prerender.js → dist/help.json), printed by bin/run.cjs without
 * loading oclif: every entry (root, topics, every command) byte for byte what oclif's own `run` prints for the same
 * call, and the forms and conditions (width, colour) it is used in or left to oclif.
 */
describe('start-up: help without oclif', function () {
  this.timeout(120_000)
  let dir: string
  let texts: Record<string, string>
  before(async () => {
    dir = await tempDir()
    texts = JSON.parse(await fs.readFile(path.join(ROOT, 'dist', 'help.json'), 'utf8')).texts
  })
  after(() => removeDir(dir))

  /** oclif's rendering of each call, through its own entry (`run`, a fresh configuration each), in one process */
  async function oclifRenders(calls: string[][], env: Record<string, string> = {}): Promise<string[]> {
    const script = `
      const {run} = (await import(${JSON.stringify(path.join(ROOT, 'dist', 'oclif.js'))})).default
      const out = []
      for (const argv of JSON.parse(process.argv[1])) {
        const chunks = []
        const write = process.stdout.write
        process.stdout.write = (chunk) => chunks.push(String(chunk)) > 0
        try { await run(argv, ${JSON.stringify(path.join(ROOT, 'bin', 'run.cjs'))}) } finally { process.stdout.write = write }
        out.push(chunks.join(''))
      }
      process.stdout.write(JSON.stringify(out))`
    const r = await execa(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(calls)], {
      cwd: dir,
      env: {...env, DEBUG: undefined},
      reject: false,
    })
    assert.equal(r.exitCode, 0, r.stderr)
    return JSON.parse(r.stdout)
  }

  it('every entry (root, topics, every command) is what oclif prints for `exp ... --help`', async () => {
    const keys = Object.keys(texts)
    assert.ok(keys.length >= 45, `${keys.length} entries`)
    for (const id of ['', 'list', 'graph', 'graph:show', 'cron:install', 'launch', 'help', 'autocomplete'])
      assert.ok(keys.includes(id), id)
    const calls = keys.map((k) => [...(k ? k.split(':') : []), '--help'])
    const oclif = await oclifRenders(calls)
    // what bin/run.cjs prints for those calls (its one substitution: the version line of the root help)
    const fast = await Promise.all(calls.map((argv) => exp(argv, {cwd: dir})))
    for (const [i, argv] of calls.entries()) {
      assert.equal(fast[i].code, 0, fast[i].stderr)
      assert.equal(fast[i].stdout + '\n', oclif[i], `exp ${argv.join(' ')}`)
    }
  })

  it('the other forms (-h, a topic alone, exp alone) and the forms left to oclif print the same on both paths', async () => {
    const forms = [
      ['-h'],
      [],
      ['graph'],
      ['sweep', '-h'],
      ['graph', 'show', '-h'],
      ['list', '--json', '--help'],
      ['help', 'list'],
      ['show', 'alpha', '--help'],
      ['nope', '--help'],
    ]
    for (const argv of forms) {
      const [fast, slow] = await Promise.all([
        exp(argv, {cwd: dir}),
        exp(argv, {cwd: dir, env: {EXP_NO_FAST_PATH: '1'}}),
      ])
      assert.deepEqual(
        {code: fast.code, stderr: fast.stderr, stdout: fast.stdout},
        {code: slow.code, stderr: slow.stderr, stdout: slow.stdout},
        `exp ${argv.join(' ')}`,
      )
    }
  })

  it("another width or colour is oclif's to render: the text follows it", async () => {
    for (const env of [{OCLIF_COLUMNS: '120'}, {FORCE_COLOR: '1'}, {OCLIF_COLUMNS: '80', FORCE_COLOR: '1'}]) {
      const [fast, slow] = await Promise.all([
        exp(['launch', '--help'], {cwd: dir, env}),
        exp(['launch', '--help'], {cwd: dir, env: {...env, EXP_NO_FAST_PATH: '1'}}),
      ])
      assert.equal(fast.code, 0, fast.stderr)
      assert.equal(fast.stdout, slow.stdout, JSON.stringify(env))
      assert.notEqual(fast.stdout, texts.launch.trimEnd(), `${JSON.stringify(env)} changes the text`)
    }
  })
})

import {Config} from '@oclif/core'
import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {age, exp, makeExperiment, removeDir, ROOT, tempDir, tempWorkspace} from '../support/exp.js'

describe('start-up', () => {
  let dir: string
  before(async () => {
    dir = await tempDir()
  })
  after(() => removeDir(dir))

  it("--version (answered before oclif loads) prints exactly oclif's version line", async () => {
    const config = await Config.load(ROOT)
    for (const flag of ['--version', '-v']) {
      const r = await exp([flag], {cwd: dir})
      assert.equal(r.code, 0)
      assert.equal(r.stdout, config.userAgent)
    }
  })

  it('bin/run.js, the entry of earlier versions (named by crontab lines they installed), still runs exp', async () => {
    const ws = await tempWorkspace()
    await makeExperiment(ws, '2025-01-01-alpha')
    // days old, so "last change" reads the same for both calls
    await age(path.join(ws, 'experiments', '2025-01-01-alpha'), 3)
    const old = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'show', 'alpha'], {
      cwd: ws,
      env: {EXP_ROOT: undefined},
      reject: false,
    })
    const current = await exp(['show', 'alpha'], {cwd: ws})
    await removeDir(ws)
    assert.match(old.stdout, /2025-01-01-alpha/)
    assert.deepEqual(
      {code: old.exitCode, stderr: old.stderr, stdout: old.stdout},
      {code: current.code, stderr: current.stderr.trimEnd(), stdout: current.stdout.trimEnd()},
    )
  })

  it('the shipped manifest lists exactly the commands in src/commands', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const walk = async (d: string, prefix: string[] = []): Promise<string[]> => {
      const out: string[] = []
      for (const e of await fs.readdir(d, {withFileTypes: true})) {
        if (e.isDirectory()) out.push(...(await walk(path.join(d, e.name), [...prefix, e.name])))
        else if (e.name.endsWith('.ts')) out.push([...prefix, e.name.replace(/\.ts$/, '')].join(':'))
      }
      return out
    }
    const sources = (await walk(path.join(ROOT, 'src', 'commands'))).sort()
    assert.deepEqual(Object.keys(manifest.commands).sort(), sources)
  })

  it('every command has a summary and an example', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    for (const [id, cmd] of Object.entries<any>(manifest.commands)) {
      if (cmd.hidden) continue
      assert.ok(cmd.summary || cmd.description, `${id} has a summary`)
      assert.ok((cmd.examples ?? []).length > 0, `${id} has an example`)
    }
  })
})

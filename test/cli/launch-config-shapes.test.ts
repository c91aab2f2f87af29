import assert from 'node:assert/strict'
import {execa} from 'execa'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {exp, expJson, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/** The embedded engine reads the config exactly as exp wrote it, lists and maps included (issue 11). */
describe('exp launch: the embedded engine reads configs exp new --set wrote', function () {
  this.timeout(60_000)
  let ws: string | undefined
  after(() => removeDir(ws))

  it('launches an experiment whose config holds a block list and a list of maps', async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    const made = await exp(['new', 'x', '--add', 'model.extra=[1,2]', '--add', 'model.pairs=[{a: 1}, {b: [2, 3]}]'], {
      cwd: ws,
    })
    assert.equal(made.code, 0, made.stderr)
    const dir = path.join(
      ws,
      'experiments',
      readdirSync(path.join(ws, 'experiments')).find((d) => d.endsWith('-x'))!,
    )
    assert.match(readFileSync(path.join(dir, 'config.yaml'), 'utf8'), /extra:\n\s+- 1\n\s+- 2\n/)
    const launched = await exp(['launch', 'x'], {cwd: ws})
    assert.equal(launched.code, 0, `${launched.stdout}\n${launched.stderr}`)
    assert.match(launched.stdout, /completed/)
    const list = await expJson(['list'], {cwd: ws})
    assert.equal(list.json.experiments.find((e: any) => e.slug === 'x').status, 'success')
  })
})

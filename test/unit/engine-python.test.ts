import assert from 'node:assert/strict'
import {execa} from 'execa'
import path from 'node:path'

import {requireTool, ROOT} from '../support/exp.js'

/** The embedded Burgers engine's own tests (Python's unittest), run as part of `npm test`. */
describe('embedded Burgers engine (python3 -m unittest)', function () {
  this.timeout(120_000)

  it('passes its own test suite', async function () {
    const python = await execa('python3', ['--version'], {reject: false})
    requireTool(this, python.exitCode === 0, 'python3 is not installed')
    const r = await execa(
      'python3',
      ['-m', 'unittest', 'discover', '-s', path.join('engines', 'burgers'), '-p', 'test_*.py'],
      {
        cwd: ROOT,
        env: {PYTHONDONTWRITEBYTECODE: '1'},
        reject: false,
      },
    )
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`)
    assert.match(r.stderr, /\nOK/)
  })
})

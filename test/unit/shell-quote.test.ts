import {strict as assert} from 'node:assert'
import {execFileSync} from 'node:child_process'

import {shellJoin, shellQuote} from '../../src/lib/shell-quote.js'

/** What bash makes of a quoted word: printf each argument on its own line. */
function roundTrip(values: string[]): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${shellJoin(values)}`], {encoding: 'utf8'})
  return out.split('\0').slice(0, -1)
}

describe('shellQuote', () => {
  it('single-quotes every value, even plain ones', () => {
    assert.equal(shellQuote('abc'), `'abc'`)
    assert.equal(shellQuote(''), `''`)
    assert.equal(shellQuote("it's"), `'it'\\''s'`)
  })

  it('survives bash unchanged: quotes, dollars, backticks, globs, newlines, spaces', () => {
    const nasty = ["it's", '$HOME', '`id`', '$(id)', '*', 'a b', 'line1\nline2', '"dq"', '\\', '-n', "''", '!x', '~']
    assert.deepEqual(roundTrip(nasty), nasty)
  })

  it('refuses a NUL character', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/)
  })
})

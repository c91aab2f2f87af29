import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'

import {shellComment} from '../../src/lib/shell-quote.js'
import {identify, isSameProcess, signalIfSame} from '../../src/lib/process-identity.js'

describe('process identity (pid + start time + boot id)', () => {
  it('a live process is itself; the same pid with another start time or boot is not, and is never signalled', async () => {
    const child = spawn('sleep', ['30'], {stdio: 'ignore'})
    try {
      const me = identify(child.pid!)
      assert.ok(me.start, 'a start time is read')
      assert.equal(isSameProcess(me), true)
      assert.equal(isSameProcess({...me, start: '1'}), false)
      assert.equal(isSameProcess({...me, boot_id: 'another-boot'}), false)
      assert.equal(signalIfSame({...me, start: '1'}, 'SIGKILL'), false)
      assert.equal(child.exitCode, null)
      assert.equal(signalIfSame(me, 'SIGKILL'), true)
      await new Promise((resolve) => child.once('exit', resolve))
      assert.equal(isSameProcess(me), false)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('a record without a start time (written before identities) trusts the pid alone', () => {
    assert.equal(isSameProcess({pid: process.pid}), true)
    assert.equal(isSameProcess(undefined), false)
  })
})

describe('shellComment', () => {
  it('keeps a comment on one line whatever the text holds', () => {
    const text = shellComment('2025-01-22-evil\nid >PWNED\r\u001b[2J\u2028x')
    assert.ok(!/[\n\r\u001b\u2028]/.test(text), text)
    assert.match(text, /evil\\nid >PWNED/)
  })
})

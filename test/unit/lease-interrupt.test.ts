import assert from 'node:assert/strict'

import {ExpError} from '../../src/errors.js'
import {acquireLease, leaseName} from '../../src/remote/lease.js'
import {TICKET_SUFFIX} from '../../src/remote/lease-queue.js'
import {fakeClock, fakeStore} from '../support/lease-fakes.js'

/** Ctrl-C (an aborted signal) while the remote lease is being taken: nothing of the taker is left in locks/. */
const base = {command: 'exp graph mark', host: 'laptop', leaseSeconds: 30, pid: 42, settleSeconds: 2, autoRenew: false}
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}
const isInterrupted = (error: unknown) =>
  error instanceof ExpError &&
  error.code === 'INTERRUPTED' &&
  error.exit === 130 &&
  /^interrupted while waiting for the remote lease; nothing was changed\.$/.test(error.message)

/** Storage where another machine holds a live lease (for ten minutes). */
function heldElsewhere() {
  const clock = fakeClock()
  const store = fakeStore()
  const held = leaseName(clock.now(), 'gpu-1', 7)
  const expires = new Date(clock.now() + 600_000).toISOString()
  store.files.set(held, {command: 'graph run', created: expires, expires, holder: 'gpu-1:7', host: 'gpu-1', pid: 7})
  return {clock, held, store}
}

describe('remote lease: a take ended by Ctrl-C (fake clock, fake storage)', () => {
  it('a waiter behind a live holder stops at once, its queue ticket removed, the holder untouched', async () => {
    const {clock, held, store} = heldElsewhere()
    const controller = new AbortController()
    const take = acquireLease({...base, clock, signal: controller.signal, store})
    await until(() => [...store.files.keys()].some((n) => n.endsWith(TICKET_SUFFIX)))
    const waitedUntil = clock.now()
    controller.abort('SIGINT')
    await assert.rejects(take, isInterrupted)
    assert.deepEqual([...store.files.keys()], [held])
    assert.ok(clock.now() - waitedUntil < 2000, 'no further look or back-off after the signal')
  })

  it('a signal during the settle removes the lease just written', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const controller = new AbortController()
    const take = acquireLease({...base, clock, signal: controller.signal, store})
    await until(() => store.files.size > 0)
    controller.abort('SIGINT')
    await assert.rejects(take, isInterrupted)
    assert.equal(store.files.size, 0)
  })

  it('a look whose rclone was stopped by the same Ctrl-C tells the interruption, and the ticket still goes', async () => {
    const {clock, held, store} = heldElsewhere()
    const list = store.list
    let looks = 0
    store.list = async () => {
      if (++looks === 3)
        throw new ExpError('interrupted (SIGINT) while rclone lsjson ran on dav:.', {code: 'INTERRUPTED', exit: 130})
      return list()
    }
    await assert.rejects(acquireLease({...base, clock, store}), isInterrupted)
    assert.deepEqual([...store.files.keys()], [held])
  })
})

import assert from 'node:assert/strict'

import {acquireLease, leaseName} from '../../src/remote/lease.js'
import {ticketName} from '../../src/remote/lease-queue.js'
import {fakeClock, fakeStore} from '../support/lease-fakes.js'

const base = {command: 'exp graph run', host: 'laptop', leaseSeconds: 30, pid: 42, settleSeconds: 2, autoRenew: false}

describe('remote lease protocol (fake clock, fake storage)', () => {
  it('names a lease <utc>-<host>-<pid>-<random>.json', () => {
    assert.equal(
      leaseName(Date.parse('2026-11-30T05:01:02.345Z'), 'gpu-1.lab', 7, 'abcd'),
      '20261130T050102Z-gpu-1.lab-7-abcd.json',
    )
  })

  it('takes a free lease after the settle delay, renews it and releases it', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const t0 = clock.now()
    const lease = await acquireLease({...base, clock, store})
    assert.equal(clock.now() - t0, 2000)
    assert.deepEqual([...store.files.keys()], [lease.name])
    clock.advance(10_000)
    await lease.renew()
    assert.equal(Date.parse(store.files.get(lease.name)!.expires), clock.now() + 30_000)
    await lease.assertHeld()
    await lease.release()
    assert.equal(store.files.size, 0)
  })

  it('a release while a slow renewal is uploading leaves no lease behind (the renewal cannot write it back)', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const lease = await acquireLease({...base, clock, store})
    let upload!: () => void
    const write = store.write
    store.write = (name, body) => new Promise<void>((resolve) => (upload = () => resolve(write(name, body))))
    const renewal = lease.renew()
    while (!upload) await new Promise((resolve) => setImmediate(resolve))
    const release = lease.release()
    upload()
    await Promise.all([renewal, release])
    assert.equal(store.files.size, 0, 'released means gone, whatever the renewal did')
  })

  it('waits for a live holder and gives up naming it', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const other = await acquireLease({...base, clock, host: 'node-7', pid: 9, store})
    const error = await acquireLease({...base, clock, store, waitSeconds: 20}).catch((e) => e)
    assert.equal(error.code, 'LEASE_BUSY')
    assert.ok(error.message.includes('node-7:9'))
    assert.deepEqual([...store.files.keys()], [other.name])
  })

  it('machines taking turns are progress: the wait restarts with each new holder, so no give-up after waitSeconds', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const first = await acquireLease({...base, clock, host: 'turn-0', store})
    const order: string[] = []
    // five machines queue one after another, then the waiter; each holds the lease 15 s (90 s in all, far past 20 s)
    const take = async (host: string, waitSeconds?: number) => {
      const lease = await acquireLease({...base, clock, host, store, waitSeconds})
      order.push(host)
      const until = clock.now() + 15_000
      while (clock.now() < until) await clock.sleep(1000)
      await lease.release()
    }
    const takers: Promise<void>[] = []
    for (let turn = 1; turn <= 5; turn++) {
      takers.push(take(`turn-${turn}`))
      await clock.sleep(1000) // each one's ticket is in before the next one comes
    }
    takers.push(take('waiter', 20))
    await clock.sleep(15_000)
    await first.release()
    await Promise.all(takers)
    assert.deepEqual(
      order,
      ['turn-1', 'turn-2', 'turn-3', 'turn-4', 'turn-5', 'waiter'],
      'the lease went to the one waiting longest',
    )
    assert.equal(store.files.size, 0, 'no lease and no queue ticket left')
  })

  it('a holder that releases and wants the lease again queues behind the machines already waiting (no starvation)', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const got: string[] = []
    // a busy machine: one change after another, each holding the lease 1 s, taking it again at once
    const busy = (async () => {
      for (let i = 0; i < 6; i++) {
        const lease = await acquireLease({...base, clock, host: 'busy', store})
        got.push('busy')
        await clock.sleep(1000)
        await lease.release()
      }
    })()
    await clock.sleep(2500)
    const waits: number[] = []
    const others = ['b', 'c', 'd'].map(async (host) => {
      const lease = await acquireLease({...base, clock, host, store})
      got.push(host)
      waits.push(lease.waitedMs)
      await clock.sleep(1000)
      await lease.release()
    })
    await Promise.all([busy, ...others])
    assert.equal(got[0], 'busy')
    assert.deepEqual(
      new Set(got.slice(1, 4)),
      new Set(['b', 'c', 'd']),
      `the waiting machines went before the busy one took it again: ${got}`,
    )
    // each waited for at most the holder's turn and the turns of those before it (3 × (settle 2 s + 1 s) + looks)
    assert.ok(Math.max(...waits) < 3 * 3000 + 3000, `longest wait ${Math.max(...waits)} ms`)
    assert.equal(store.files.size, 0)
  })

  it('a lease the listing shows written lately is live without a read; one that looks old is read, and taken over only by its body', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const at = new Map<string, number>()
    const write = store.write
    store.write = async (name, body) => {
      at.set(name, clock.now())
      return write(name, body)
    }
    const reads: string[] = []
    const read = store.read
    store.read = async (name) => (reads.push(name), read(name))
    store.written = (name) => at.get(name)
    const other = await acquireLease({...base, clock, host: 'node-7', store})
    const waiting = acquireLease({...base, clock, store})
    await clock.sleep(20_000)
    assert.deepEqual(reads, [] as string[], "the holder's lease, written 20 s ago (lease 30 s), was not read")
    await clock.sleep(20_000)
    assert.ok(reads.includes(other.name), 'past the grace by its listing time, it is read')
    await other.renew() // the body says live: no take-over
    await clock.sleep(5000)
    assert.ok(store.files.has(other.name))
    await other.release()
    await (await waiting).release()
  })

  it("a killed waiter's ticket holds the queue up only for its short life (a third of the lease) and its grace", async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const t0 = clock.now()
    const ticket = ticketName(t0, 'killed', 5)
    await store.write(ticket, {
      command: 'graph run',
      created: new Date(t0).toISOString(),
      expires: new Date(t0 + 10_000).toISOString(),
      holder: 'killed:5',
      host: 'killed',
      pid: 5,
    })
    const lease = await acquireLease({...base, clock, store})
    assert.ok(
      clock.now() - t0 >= 20_000 && clock.now() - t0 < 30_000,
      `deferred to the dead ticket until its expiry and grace, ${clock.now() - t0} ms`,
    )
    assert.ok(!store.files.has(ticket), 'the dead ticket was removed')
    await lease.release()
  })

  it('gets the lease once the holder releases it', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const other = await acquireLease({...base, clock, host: 'node-7', store})
    const waiting = acquireLease({...base, clock, store})
    await clock.sleep(5000)
    await other.release()
    const mine = await waiting
    assert.deepEqual([...store.files.keys()], [mine.name])
  })

  it('takes over a lease past expires + grace with a warning naming its holder, and not before', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    await acquireLease({...base, clock, host: 'dead-node', pid: 13, store}) // never renewed: its holder was killed
    const warnings: string[] = []
    const t0 = clock.now()
    const mine = await acquireLease({...base, clock, store, warn: (l) => warnings.push(l)})
    assert.ok(clock.now() - t0 > 30_000 + 30_000 - 2000) // expires (30 s) + grace (30 s), after its settle
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /taking over the expired remote lease of dead-node:13 \(exp graph run/)
    assert.deepEqual([...store.files.keys()], [mine.name])
  })

  it('two takers at once: exactly one holds the lease at any time, both get it in turn', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    let holders = 0
    let maxHolders = 0
    const worker = async (pid: number) => {
      for (let i = 0; i < 5; i++) {
        const lease = await acquireLease({...base, clock, pid, random: Math.random, store})
        holders++
        maxHolders = Math.max(maxHolders, holders)
        await lease.assertHeld()
        await clock.sleep(500)
        holders--
        await lease.release()
      }
    }
    await Promise.all([worker(1), worker(2), worker(3)])
    assert.equal(maxHolders, 1)
    assert.equal(store.files.size, 0)
  })

  it('a holder whose lease was deleted under it aborts before writing', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const lease = await acquireLease({...base, clock, store})
    store.files.delete(lease.name)
    let wrote = false
    const error = await lease
      .assertHeld()
      .then(() => {
        wrote = true
      })
      .catch((e) => e)
    assert.equal(error.code, 'LEASE_LOST')
    assert.equal(wrote, false)
    await lease.renew() // renewing does not bring it back
    assert.equal(store.files.size, 0)
  })

  it('inside the write section no renewal runs: one that listed the lease before a deletion would write it back unseen', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const lease = await acquireLease({...base, clock, store})
    // a slow storage: a renewal that has listed the lease is still writing when someone deletes it
    let finishWrite: () => void = () => {}
    const write = store.write
    store.write = (name, body) =>
      new Promise<void>((resolve) => (finishWrite = () => void write(name, body).then(resolve)))
    await lease.pauseRenewals()
    const renewal = lease.renew() // the renewal timer firing inside the section
    await new Promise((resolve) => setImmediate(resolve))
    store.files.clear() // exp remote unlock --force elsewhere
    finishWrite()
    await renewal
    assert.equal(store.files.size, 0, 'no renewal wrote the lease back')
    await assert.rejects(lease.assertHeld(), /vanished/)
  })

  it('refuses to write under a paused lease that is about to run out', async () => {
    const clock = fakeClock()
    const store = fakeStore()
    const lease = await acquireLease({...base, clock, store})
    await lease.pauseRenewals()
    clock.advance(25_000) // 30 s lease, 5 s left: less than a third
    await assert.rejects(lease.assertHeld(), /ran out/)
  })
})

import type {LeaseBody, LeaseClock, LeaseStore} from '../../src/remote/lease.js'

/** The remote lease protocol's storage and time, faked for its unit tests (test/unit/lease*.test.ts). */

/** Virtual time: sleep() wakes in time order, once every other pending promise has run. */
export function fakeClock(start = Date.parse('2026-11-30T05:00:00Z')): LeaseClock & {advance(ms: number): void} {
  let now = start
  const pending: {at: number; resolve: () => void}[] = []
  let scheduled = false
  const wake = () => {
    scheduled = false
    pending.sort((a, b) => a.at - b.at)
    const next = pending.shift()
    if (!next) return
    now = Math.max(now, next.at)
    next.resolve()
    if (pending.length > 0) schedule()
  }
  const schedule = () => {
    if (!scheduled) {
      scheduled = true
      setImmediate(wake)
    }
  }
  return {
    advance: (ms) => {
      now += ms
    },
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        pending.push({at: now + ms, resolve})
        schedule()
      }),
  }
}

/** Storage in memory; `hidden` names are left out of listings (a lagging listing). */
export function fakeStore(): LeaseStore & {files: Map<string, LeaseBody>; writes: number} {
  const files = new Map<string, LeaseBody>()
  const store = {
    files,
    list: async () => [...files.keys()],
    read: async (name: string) => files.get(name),
    remove: async (name: string) => files.delete(name),
    write: async (name: string, body: LeaseBody) => {
      store.writes++
      files.set(name, {...body})
    },
    writes: 0,
  }
  return store
}

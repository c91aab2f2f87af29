import {liveUnread} from './lease-queue.js'
import type {LeaseBody, LeaseStore} from './lease-types.js'

export interface LeaseInfo {
  name: string
  body?: LeaseBody
  state: 'live' | 'expired' | 'unreadable'
}

/**
 * Every lease in the folder with its state at `now` (expired = past expires + grace). `known`: bodies read before; a
 * lease live by its last known expiry is not read again (a renewal only moves expiry later), one past it is re-read.
 */
export async function inspectLeases(
  store: LeaseStore,
  now: number,
  graceMs: number,
  listed?: string[],
  known?: Map<string, LeaseBody>,
): Promise<LeaseInfo[]> {
  const names = (listed ?? (await store.list())).filter((n) => n.endsWith('.json')).sort()
  const infos: LeaseInfo[] = []
  for (const name of names) {
    const unread = liveUnread(store, known, name, now, graceMs)
    if (unread === true) {
      infos.push({name, state: 'live'})
      continue
    }
    const body = unread ?? (await store.read(name).catch(() => undefined))
    if (!body) {
      // vanished between list and read, or being written: respected until long past the time in its name
      const created = Date.parse(
        name.slice(0, 16).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
      )
      infos.push({name, state: Number.isFinite(created) && created + 2 * graceMs < now ? 'expired' : 'unreadable'})
      continue
    }
    known?.set(name, body)
    infos.push({body, name, state: Date.parse(body.expires) + graceMs < now ? 'expired' : 'live'})
  }
  return infos
}

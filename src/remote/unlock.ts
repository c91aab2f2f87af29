import {EXIT, ExpError} from '../errors.js'
import {describeHolder, inspectLeases, type LeaseInfo} from './lease.js'
import {type Remote, rcloneLeaseStore} from './remote.js'

/** `exp remote unlock`: shows every lease and its holder; removes dead ones, and live ones only with --force. */
export interface UnlockOptions {
  force?: boolean
  dryRun?: boolean
  now: Date
  /** asked before a live lease is removed (a person at a terminal, or --yes) */
  confirm: (live: LeaseInfo[]) => Promise<boolean>
}

export interface UnlockResult {
  leases: {name: string; holder: string; state: string; removed: boolean}[]
  dry_run: boolean
}

export async function unlockRemote(remote: Remote, options: UnlockOptions): Promise<UnlockResult> {
  const store = rcloneLeaseStore(remote.rclone)
  const infos = await inspectLeases(store, options.now.getTime(), remote.leaseSeconds * 1000)
  const live = infos.filter((l) => l.state !== 'expired')
  if (live.length > 0 && !options.force) {
    throw new ExpError(
      `the remote lease is held by ${live.map((l) => describeHolder(l.body, l.name)).join(', ')}; nothing removed.`,
      {
        code: 'LEASE_HELD',
        exit: EXIT.locked,
        suggestion: 'exp remote unlock --force, only if that holder is gone',
      },
    )
  }
  const go = !options.dryRun && (live.length === 0 || (await options.confirm(live)))
  const leases: UnlockResult['leases'] = []
  for (const l of infos) {
    const removed = go ? await store.remove(l.name) : false
    leases.push({holder: describeHolder(l.body, l.name), name: l.name, removed, state: l.state})
  }
  return {dry_run: Boolean(options.dryRun), leases}
}

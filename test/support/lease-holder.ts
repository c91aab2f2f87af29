// A separate process that takes the remote lease and holds it until killed, for test/cli/remote.test.ts:
//   node --import tsx test/support/lease-holder.ts REMOTE ROOT LEASE_SECONDS
// Prints "held <lease name>" once it holds the lease. rclone's remotes come from RCLONE_CONFIG_* in its environment.
import os from 'node:os'

import {acquireLease} from '../../src/remote/lease.js'
import {normaliseTarget, Rclone} from '../../src/remote/rclone.js'
import {rcloneLeaseStore} from '../../src/remote/remote.js'

const [remote, root, seconds] = process.argv.slice(2)
const lease = await acquireLease({
  autoRenew: false, // a killed holder stops renewing: the test sees its lease expire
  command: 'lease-holder',
  host: os.hostname(),
  leaseSeconds: Number(seconds),
  pid: process.pid,
  settleSeconds: 0.2,
  store: rcloneLeaseStore(new Rclone(normaliseTarget(remote, root))),
})
process.stdout.write(`held ${lease.name}\n`)
setInterval(() => {}, 1000)

// Archive or restore one experiment in a separate process and SIGKILL it at a named point of the move, for
// test/unit/move.test.ts:
//   node --import tsx test/support/move-crash.ts ROOT archive|restore NAME POINT same|cross
// "cross" makes every rename between two folders fail with EXDEV, so the copy-verify-remove path runs.
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {archiveExperiments} from '../../src/archive/archive.js'
import type {MoveHooks, MovePoint} from '../../src/archive/move.js'
import {restoreExperiment} from '../../src/archive/restore.js'
import {openWorkspace} from '../../src/workspace/workspace.js'

const [root, op, name, point, mode] = process.argv.slice(2)
const ws = await openWorkspace({root})
const hooks: MoveHooks = {
  at(p: MovePoint) {
    if (p === point) process.kill(process.pid, 'SIGKILL')
  },
  rename: mode === 'cross' ? acrossDevices : undefined,
}
const now = () => new Date()
if (op === 'archive') {
  const result = await archiveExperiments(ws, {hooks, names: [name], now})
  if (result.summary.archived !== 1) throw new Error(JSON.stringify(result.results))
} else {
  await restoreExperiment(ws, {hooks, name, now})
}

async function acrossDevices(from: string, to: string): Promise<void> {
  if (path.dirname(from) !== path.dirname(to))
    throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}' -> '${to}'`), {
      code: 'EXDEV',
    })
  await fs.rename(from, to)
}

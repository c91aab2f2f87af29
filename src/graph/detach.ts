import {spawn} from 'node:child_process'
import {openSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {fileStamp, type Clock} from '../lib/time.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

/** `exp graph run --detach`: the same runner in a background process of its own, its output in `.exp/graph-run-<stamp>.log`. */
export async function detachGraphRun(ws: Workspace, args: string[], now: Clock): Promise<{pid: number; log: string}> {
  await mkdir(ws.paths.state, {recursive: true})
  const log = path.join(ws.paths.state, `graph-run-${fileStamp(now())}-${process.pid}.log`)
  const fd = openSync(log, 'a')
  const child = spawn(process.execPath, [process.argv[1], 'graph', 'run', ...args], {
    cwd: ws.root,
    detached: true,
    env: {...process.env, EXP_ROOT: ws.root},
    stdio: ['ignore', fd, fd],
  })
  child.unref()
  return {log: relativeToRoot(ws, log), pid: child.pid ?? 0}
}

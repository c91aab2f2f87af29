import {promises as fs} from 'node:fs'
import path from 'node:path'

import {formatLaunchLogEntry, LAUNCH_LOG} from '../launch/launch-log.js'
import {writeJsonAtomic} from '../lib/atomic.js'
import {withLock} from '../lib/lock.js'
import type {Transition} from './observe-transitions.js'

/**
 * The sweep's orchestration log, `launch.log` in the experiment folder, appended to by every observer (launch, watch,
 * refresh) so that each transition is written exactly once:
 *
 * - observers of one experiment take turns under a lock file of their own (never the workspace lock: launch calls
 *   in while it holds that one);
 * - `.launch-log.json` next to the log (hidden: the scan skips it) keeps the keys already logged and, before each
 *   append, the text about to be appended and where (a one-entry write-ahead record). An observer killed mid-append
 *   leaves it behind; the next one finds the log already holding that text (whole: nothing to do), a part of it (the
 *   rest is appended) or none of it (all of it is appended), then records the keys. No entry twice, none lost.
 */
export const LOG_STATE_FILE = '.launch-log.json'

interface LogState {
  schema: 1
  logged: string[]
  pending?: {offset: number; text: string; keys: string[]}
}

export interface AppendOptions {
  /** the experiment folder holding launch.log */
  dir: string
  /** the lock file the observers of this experiment share */
  lockFile: string
  /** the transitions not yet logged, given the keys that are */
  derive: (logged: Set<string>) => Transition[] | Promise<Transition[]>
  /** more work under the same lock once the log is up to date (the status table) */
  after?: () => Promise<void>
}

/** Append each new transition once; returns those this call appended (none when the folder is gone: archived). */
export async function appendTransitions(options: AppendOptions): Promise<Transition[]> {
  return withLock(
    options.lockFile,
    async () => {
      // an experiment archived (moved away) meanwhile: never bring its folder back
      if (!(await fs.stat(options.dir).catch(() => undefined))?.isDirectory()) return []
      const logFile = path.join(options.dir, LAUNCH_LOG)
      const stateFile = path.join(options.dir, LOG_STATE_FILE)
      const state = await readState(stateFile)
      if (state.pending) await settle(logFile, stateFile, state)
      const logged = new Set(state.logged)
      const fresh = (await options.derive(logged)).filter((t) => !logged.has(t.key))
      if (fresh.length > 0) {
        const text = fresh.map((t) => formatLaunchLogEntry(t, new Date(t.at))).join('')
        const offset = (await fs.stat(logFile).catch(() => undefined))?.size ?? 0
        state.pending = {keys: fresh.map((t) => t.key), offset, text}
        await writeJsonAtomic(stateFile, state, {createDir: false})
        await fs.appendFile(logFile, text)
        await settle(logFile, stateFile, state)
      }
      await options.after?.()
      return fresh
    },
    {command: 'observe', waitMs: 60_000},
  )
}

async function readState(file: string): Promise<LogState> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as LogState
    if (value && Array.isArray(value.logged)) return value
  } catch {}
  // none yet, or unreadable (edited by hand): start over; the keys in launch.log cannot be recovered from its text
  return {logged: [], schema: 1}
}

/** Finish a recorded append: write what of its text the log does not hold yet, then record its keys. */
async function settle(logFile: string, stateFile: string, state: LogState): Promise<void> {
  const {keys, offset, text} = state.pending!
  const wanted = Buffer.from(text)
  const there = await readFrom(logFile, offset, wanted.length)
  let common = 0
  while (common < there.length && there[common] === wanted[common]) common++
  // the log holds a prefix of the text (or all of it) at the recorded place: the rest is what the killed observer owed;
  // anything else there (the log edited, or truncated) gets the whole text appended
  const rest = common === there.length ? wanted.subarray(common) : wanted
  if (rest.length > 0) await fs.appendFile(logFile, rest)
  state.logged.push(...keys)
  delete state.pending
  await writeJsonAtomic(stateFile, state, {createDir: false})
}

async function readFrom(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r').catch(() => undefined)
  if (!handle) return Buffer.alloc(0)
  try {
    const buffer = Buffer.alloc(length)
    const {bytesRead} = await handle.read(buffer, 0, length, offset)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

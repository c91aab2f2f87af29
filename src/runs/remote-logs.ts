import type {InstanceOutput} from '../backends/vast/logs.js'
import {type Clock, sleep} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {isLive, type RunRecord} from './record.js'
import {experimentWithRuns, pickRun} from './select.js'

/** How many lines of a live remote run's output `exp logs` shows (and each --follow poll asks for). */
export const REMOTE_TAIL = 200

/** A live vast run's output so far, from its instance (the stage logs come home at collection). */
export async function liveRemoteOutput(record: RunRecord): Promise<InstanceOutput | undefined> {
  if (record.backend !== 'vast' || !isLive(record.state)) return undefined
  const {instanceOutput} = await import('../backends/vast/logs.js')
  return instanceOutput(record, {tail: REMOTE_TAIL})
}

/**
 * `exp logs --follow` of a live vast run: ask the instance for its output every poll_interval of the backend and
 * print the new lines, until the run is no longer live. Returns the run's last record.
 */
export async function followRemote(
  ws: Workspace,
  options: {name: string; run?: string; now: Clock; signal?: AbortSignal},
  write: (text: string) => void,
): Promise<RunRecord> {
  const {newLines} = await import('../backends/vast/logs.js')
  const load = async () =>
    pickRun(await experimentWithRuns(ws, options.name, {log: () => {}, now: options.now, ws}), options.run)
  let record = await load()
  let seen: string[] = []
  while (isLive(record.state) && !options.signal?.aborted) {
    const out = await liveRemoteOutput(record)
    if (out?.text !== undefined) {
      const lines = out.text === '' ? [] : out.text.split('\n')
      const fresh = newLines(seen, lines)
      if (fresh.length > 0) write(fresh.join('\n') + '\n')
      seen = lines
    }
    await sleep(ws.settings.backends.vast.poll_interval * 1000, options.signal)
    record = await load()
  }
  return record
}

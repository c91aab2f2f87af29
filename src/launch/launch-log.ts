import {promises as fs} from 'node:fs'
import path from 'node:path'

import {logStamp} from '../lib/time.js'

/**
 * The orchestration log of a run, `runs/<run-id>/launch.log`, in the format researchers already keep by hand:
 *
 *   [2025-01-22 10:15:00] TRAIN: started python3 train.py --config config.yaml --out checkpoints/…
 *   Details: pid 4242; log runs/…/train.log
 *   Result: running
 *
 * Every backend appends through here. One entry is one append (O_APPEND), so entries never interleave.
 */
export const LAUNCH_LOG = 'launch.log'

export interface LaunchLogEntry {
  action: string
  description: string
  details?: string | string[]
  result?: string
}

export function formatLaunchLogEntry(entry: LaunchLogEntry, now: Date): string {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim()
  const lines = [`[${logStamp(now)}] ${entry.action.toUpperCase()}: ${oneLine(entry.description)}`]
  const details = entry.details === undefined ? [] : Array.isArray(entry.details) ? entry.details : [entry.details]
  for (const d of details) lines.push(`Details: ${oneLine(d)}`)
  if (entry.result !== undefined) lines.push(`Result: ${oneLine(entry.result)}`)
  return lines.join('\n') + '\n\n'
}

/** Append to the launch.log of an existing run folder (never creates the folder: launch does, under the lock). */
export async function appendLaunchLog(file: string, entry: LaunchLogEntry, now: Date): Promise<void> {
  await fs.appendFile(file, formatLaunchLogEntry(entry, now))
}

/** The launch.log of a run folder. */
export function launchLogFile(runDirectory: string): string {
  return path.join(runDirectory, LAUNCH_LOG)
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

/** Less than this free where a run writes: the disk is full for any engine that writes a checkpoint or a log. */
const FULL_BELOW_BYTES = 64 * 1024

/**
 * `disk full: 4 KB free` when the filesystem holding `file` has (almost) no space left, else undefined. A stage that
 * failed on a full disk says so even when exp's own records still fit (a record's rename frees the old copy's
 * block, so the writes after a failed engine need not fail); any doubt (no statfs) says nothing.
 */
export async function diskFullNote(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.statfs(path.dirname(file))
    const free = stat.bavail * stat.bsize
    return free < FULL_BELOW_BYTES ? `disk full: ${Math.floor(free / 1024)} KB free` : undefined
  } catch {
    return undefined
  }
}

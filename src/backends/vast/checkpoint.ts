import {promises as fs} from 'node:fs'
import path from 'node:path'

import {type CheckpointCommit, commitCheckpoint} from '../../checkpoints/commit.js'
import {MANIFEST_FILE} from '../../checkpoints/manifest.js'
import {ExpError} from '../../errors.js'
import type {Clock} from '../../lib/time.js'

/**
 * A checkpoint brought home from a vast.ai instance: exp commits its manifest at home, and when the instance
 * wrote the sha256 of every file after train (`status/checkpoints.sha256`), each file that arrived must match it.
 * A mismatch leaves the checkpoint uncommitted (no manifest) and fails the collect, naming the file: collecting
 * again copies it afresh (the instance keeps its results until they are collected).
 */
export async function commitCollected(options: {
  experimentDir: string
  checkpoint: string
  sums?: string
  argv: string[] | null
  now: Clock
}): Promise<CheckpointCommit> {
  const commit = await commitCheckpoint({
    argv: options.argv,
    experimentDir: options.experimentDir,
    now: options.now,
    runId: path.basename(options.checkpoint),
    stage: 'train',
  })
  if (options.sums === undefined) return commit
  const manifest = JSON.parse(
    await fs.readFile(path.join(options.experimentDir, options.checkpoint, MANIFEST_FILE), 'utf8'),
  ) as {files: Array<{path: string; sha256: string}>}
  const arrived = new Map(manifest.files.map((f) => [f.path, f.sha256]))
  const problems: string[] = []
  for (const line of options.sums.split('\n')) {
    const m = /^([\da-f]{64}) [ *](?:\.\/)?(.+)$/.exec(line.trim())
    if (!m) continue
    const got = arrived.get(m[2])
    if (got === undefined) problems.push(`${m[2]}: missing`)
    else if (got !== m[1]) problems.push(`${m[2]}: sha256 differs from the instance's`)
  }
  if (problems.length === 0) return commit
  await fs.rm(path.join(options.experimentDir, options.checkpoint, MANIFEST_FILE), {force: true})
  throw new ExpError(
    `the checkpoint that arrived is not the one the instance wrote (${options.checkpoint}/${problems[0]}${problems.length > 1 ? ` and ${problems.length - 1} more` : ''}); it is left uncommitted.`,
    {
      code: 'COLLECT_INCOMPLETE',
      suggestion: 'exp collect again: the instance keeps its results until they are collected.',
    },
  )
}

import {readFileSync} from 'node:fs'
import path from 'node:path'

import {checkCheckpoint} from '../checkpoints/check.js'
import {type CheckpointCommit, commitCheckpoint} from '../checkpoints/commit.js'
export {gitCommit} from '../checkpoints/commit.js'
import {MANIFEST_FILE, parseManifest, problemLine} from '../checkpoints/manifest.js'
import {messageOf} from '../errors.js'
import {sha256} from '../lib/hash.js'
import type {Clock} from '../lib/time.js'
import {isEvaluateStage} from './engines.js'
import type {LaunchLogEntry} from './launch-log.js'
import {readRun, runFile, type RunRecord, type StageRecord} from '../runs/record.js'

/** The checkpoint folder a run's stages write (train) or read (evaluate), relative to the experiment directory. */
export function runCheckpoint(record: RunRecord): string {
  return record.checkpoint ?? `checkpoints/${record.run_id}`
}

/**
 * Before a stage that reads a checkpoint (evaluate, or one evaluation of a suite) starts: the quick check (manifest present, every file there
 * with its size, nothing extra). Returns the reason the stage must not start, naming the file, or undefined.
 */
export async function checkpointBlocker(
  experimentDir: string,
  record: RunRecord,
  stage: StageRecord,
): Promise<string | undefined> {
  if (!isEvaluateStage(stage.name)) return undefined
  const rel = runCheckpoint(record)
  const dir = path.resolve(experimentDir, rel)
  // a work-graph eval reads a sibling experiment's checkpoint: links must stay inside that experiment
  const owner = rel.startsWith('..') ? path.dirname(path.dirname(dir)) : experimentDir
  const check = await checkCheckpoint(dir, owner, {quick: true})
  if (check.problems.length === 0) return undefined
  const more =
    check.problems.length > 1
      ? ` (and ${check.problems.length - 1} more problem${check.problems.length > 2 ? 's' : ''}: exp verify)`
      : ''
  return `checkpoint ${rel} failed its check: ${problemLine(rel, check.problems[0])}${more}`
}

/**
 * After a train stage completed: hash the checkpoint and commit its manifest. Returns the stage's patch (its
 * `checkpoint` record, or `failed` when a file could not be read), lines for the person and the launch.log entry.
 */
export async function commitAfterStage(
  experimentDir: string,
  record: RunRecord,
  stage: StageRecord,
  now: Clock,
  gitCommit?: Promise<string | null>,
): Promise<{patch: Partial<StageRecord>; lines: string[]; entry: LaunchLogEntry} | undefined> {
  if (stage.name !== 'train') return undefined
  let checkpoint: CheckpointCommit
  try {
    checkpoint = await commitCheckpoint({
      argv: stage.command,
      experimentDir,
      gitCommit,
      now,
      runId: path.basename(runCheckpoint(record)),
      stage: stage.name,
    })
  } catch (error) {
    const reason = `exited 0 but its checkpoint could not be committed: ${messageOf(error)}`
    return {
      entry: {action: 'checkpoint', description: 'not committed', details: reason, result: `${stage.name} failed`},
      lines: [`${stage.name}: failed: ${reason}`],
      patch: {reason, state: 'failed'},
    }
  }
  const {warnings} = checkpoint
  const details = [
    `${checkpoint.files} files, ${checkpoint.bytes} bytes hashed in ${(checkpoint.hash_ms / 1000).toFixed(1)}s; manifest sha256 ${checkpoint.manifest_sha256}`,
    ...warnings.map((w) => `warning: ${w}`),
  ]
  return {
    entry: {
      action: 'checkpoint',
      description: `committed ${checkpoint.path}/${MANIFEST_FILE}`,
      details,
      result: warnings.length > 0 ? 'committed with warnings' : 'committed',
    },
    lines: warnings.map((w) => `${stage.name}: warning: ${checkpoint.path}: ${w}`),
    patch: {checkpoint},
  }
}

/**
 * exp's checkpoint step inside a batch job (SLURM), where no exp process supervises the stages: `check` before
 * evaluate (the quick check of the run's checkpoint), `commit` after a train that exited 0. Returns the one-line
 * reason the job must fail, or undefined.
 */
export async function checkpointStep(
  action: 'check' | 'commit',
  experimentDir: string,
  runId: string,
  now: Clock,
): Promise<string | undefined> {
  const record = await readRun(runFile(experimentDir, runId))
  const name = action === 'check' ? 'evaluate' : 'train'
  const stage = record.stages.find((s) => s.name === name) ?? {
    command: [],
    cwd: experimentDir,
    log: '',
    name,
    state: 'running' as const,
  }
  if (action === 'check') return checkpointBlocker(experimentDir, record, stage)
  return (await commitAfterStage(experimentDir, record, stage, now))?.patch.reason
}

/**
 * A train stage a batch job completed (SLURM: the job committed the manifest itself): the stage record gets its
 * `checkpoint` from MANIFEST.json, as a local run's does. Any other stage, or no manifest: unchanged.
 */
export function withCommittedCheckpoint(experimentDir: string, record: RunRecord, stage: StageRecord): StageRecord {
  if (stage.name !== 'train' || stage.state !== 'completed' || stage.checkpoint) return stage
  const rel = runCheckpoint(record)
  let text: string
  try {
    text = readFileSync(path.join(experimentDir, rel, MANIFEST_FILE), 'utf8')
  } catch {
    return stage
  }
  const read = parseManifest(text)
  if (!read.manifest) return stage
  const m = read.manifest
  return {
    ...stage,
    checkpoint: {
      bytes: m.bytes,
      files: m.files.length,
      hash_ms: m.hashing?.duration_ms ?? 0,
      manifest_sha256: sha256(text),
      path: rel,
      warnings: m.warnings ?? [],
    },
  }
}

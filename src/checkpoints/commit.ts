import {execFile} from 'node:child_process'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {sha256} from '../lib/hash.js'
import {hashFiles} from '../lib/hash-pool.js'
import type {Clock} from '../lib/time.js'
import {
  CHECKPOINTS_DIR,
  listCheckpoint,
  type Manifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  readSidecars,
  resolveLink,
} from './manifest.js'

/** What a run record keeps of a committed checkpoint (stages[].checkpoint). */
export interface CheckpointCommit {
  /** relative to the experiment directory */
  path: string
  manifest_sha256: string
  files: number
  bytes: number
  hash_ms: number
  warnings: string[]
  adopted?: boolean
}

export interface CommitOptions {
  experimentDir: string
  runId: string
  stage: string
  /** the engine's argument list; null when exp did not see the checkpoint made (adopted) */
  argv: string[] | null
  adopted?: boolean
  now: Clock
  onProgress?: (bytes: number) => void
  /** the experiment's git commit, already being looked up (a local launch starts the lookup as its train starts) */
  gitCommit?: Promise<string | null>
}

export function checkpointDir(experimentDir: string, runId: string): string {
  return path.join(experimentDir, CHECKPOINTS_DIR, runId)
}

/**
 * Hash every file of `checkpoints/<run-id>/` and write MANIFEST.json last, atomically: until the rename, the
 * checkpoint is uncommitted, so a process killed while hashing leaves no manifest at all (at most exp's own
 * temporary file, which checks ignore). An empty folder, 0-byte files and an engine sidecar that disagrees with
 * its file are recorded as warnings; a symbolic link out of the experiment is not hashed and is a warning too.
 */
export async function commitCheckpoint(options: CommitOptions): Promise<CheckpointCommit> {
  const dir = checkpointDir(options.experimentDir, options.runId)
  const rel = path.relative(options.experimentDir, dir)
  await fs.mkdir(dir, {recursive: true})
  const started = Date.now()
  const warnings: string[] = []
  const entries = listCheckpoint(dir).filter((e) => {
    if (e.kind !== 'link') return true
    const target = resolveLink(path.join(dir, e.path), options.experimentDir)
    if ('problem' in target) warnings.push(`${e.path}: ${target.problem}; not in the manifest`)
    else e.size = target.size
    return !('problem' in target)
  })
  if (entries.length === 0) warnings.push('the checkpoint folder is empty')
  // the commit lookup (a git child process) and the config's hash run while the files are hashed, not after
  const gitLookup = options.gitCommit ?? gitCommit(options.experimentDir)
  const configHash = fileSha256(path.join(options.experimentDir, 'config.yaml'))
  for (const e of entries) if (e.size === 0) warnings.push(`${e.path}: 0 bytes`)
  const hashed = await hashFiles(
    entries.map((e) => ({file: path.join(dir, e.path), size: e.size})),
    {onProgress: options.onProgress},
  )
  const files = entries.map((e, i) => {
    const r = hashed[i]
    if (r.sha256 === undefined)
      throw new ExpError(`cannot commit ${rel}: ${e.path} is unreadable (${r.error}).`, {code: 'CHECKPOINT_UNREADABLE'})
    return {path: e.path, sha256: r.sha256, size: r.bytes ?? e.size}
  })
  const byPath = new Map(files.map((f) => [f.path, f.sha256]))
  for (const s of readSidecars(dir, entries)) {
    const actual = byPath.get(s.target)
    if (actual === undefined) warnings.push(`${s.sidecar} vouches for ${s.target}, which is not in the folder`)
    else if (actual !== s.sha256) warnings.push(`${s.target}: sha256 differs from its sidecar ${s.sidecar}`)
  }
  const bytes = files.reduce((n, f) => n + f.size, 0)
  const hashMs = Date.now() - started
  const manifest: Manifest = {
    adopted: Boolean(options.adopted),
    argv: options.argv,
    bytes,
    config_sha256: await configHash,
    created_at: options.now().toISOString(),
    experiment: path.basename(options.experimentDir),
    files,
    format: MANIFEST_FORMAT,
    git_commit: await gitLookup,
    hashing: {bytes, duration_ms: hashMs},
    run_id: options.runId,
    stage: options.stage,
    version: MANIFEST_VERSION,
    warnings,
  }
  const text = JSON.stringify(manifest, null, 2) + '\n'
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), text)
  const out: CheckpointCommit = {
    bytes,
    files: files.length,
    hash_ms: hashMs,
    manifest_sha256: sha256(text),
    path: rel,
    warnings,
  }
  if (options.adopted) out.adopted = true
  return out
}

async function fileSha256(file: string): Promise<string | null> {
  const data = await fs.readFile(file).catch(() => undefined)
  return data === undefined ? null : sha256(data)
}

/** The experiment's git commit, when it is inside a work tree and git is installed; otherwise null. */
export async function gitCommit(cwd: string): Promise<string | null> {
  // no .git in the folder or above it (and no GIT_DIR): git would only say "not a git repository"; no child process
  if (!process.env.GIT_DIR && !insideGitWorkTree(cwd)) return null
  // node's execFile, not execa: this runs after every completed train, and execa is 200 KB to load for one call
  const out = await new Promise<string | null>((resolve) => {
    const child = execFile('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {cwd, timeout: 5000}, (error, stdout) =>
      resolve(error ? null : stdout.trim()),
    )
    child.stdin?.end()
  })
  return out !== null && /^[\da-f]{40,64}$/.test(out) ? out : null
}

function insideGitWorkTree(dir: string): boolean {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return true
    if (path.dirname(at) === at) return false
  }
}

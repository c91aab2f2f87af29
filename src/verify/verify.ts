import {readdirSync} from 'node:fs'
import path from 'node:path'

import {checkCheckpoint, type CheckpointState} from '../checkpoints/check.js'
import {commitCheckpoint} from '../checkpoints/commit.js'
import {CHECKPOINTS_DIR, problemLine, readManifest} from '../checkpoints/manifest.js'
import {EXIT, ExpError} from '../errors.js'
import {type Located, listExperimentNames, resolveName} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'

export interface VerifyOptions {
  names?: string[]
  /** every experiment in experiments/ (with `archived`, the archive too) */
  all?: boolean
  archived?: boolean
  /** names and sizes only: no file is read */
  quick?: boolean
  /** write a manifest, marked adopted, for each named experiment's checkpoints that have none */
  adopt?: boolean
  /** with adopt: list the checkpoints that would be adopted (`would_adopt`), write nothing */
  dryRun?: boolean
  now: Clock
  /** bytes hashed since the last call, with the total to hash */
  onProgress?: (bytes: number, total: number) => void
}

export interface VerifiedCheckpoint {
  experiment: string
  location: Located['location']
  run_id: string
  /** workspace-relative folder */
  path: string
  state: CheckpointState
  problems: string[]
  files: number
  bytes: number
  hashed_bytes: number
  adopted: boolean
  /** written by this command (--adopt) */
  adopted_now?: boolean
}

export interface VerifyResult {
  checkpoints: VerifiedCheckpoint[]
  /** one line per problem: `<experiment>: checkpoints/<run-id>/<file>: <problem>` */
  problems: string[]
  quick: boolean
  hashed_bytes: number
  duration_ms: number
  /** --adopt --dry-run: the checkpoint folders (workspace-relative) that have no manifest and would be adopted */
  would_adopt?: string[]
}

/**
 * Check checkpoint folders against their manifests: quick (the listing: every file there with its size, nothing
 * extra, symbolic links inside the experiment, sidecars agreeing) or full (every sha256 too). Never changes a
 * file, except `--adopt`, which commits a manifest (marked adopted) for checkpoints that have none, under the
 * workspace lock.
 */
export async function verifyCheckpoints(ws: Workspace, options: VerifyOptions): Promise<VerifyResult> {
  const names = options.names ?? []
  if (names.length === 0 && !options.all) {
    throw new ExpError('name the experiments whose checkpoints to verify, or use --all.', {
      code: 'USAGE',
      exit: EXIT.usage,
      suggestion: 'exp verify --all',
    })
  }
  if (options.adopt && names.length === 0) {
    throw new ExpError(
      '--adopt needs the experiments named: exp cannot prove a checkpoint was whole, so it adopts only those you name.',
      {code: 'USAGE', exit: EXIT.usage},
    )
  }
  const candidates = await listExperimentNames(ws)
  const targets =
    names.length > 0
      ? dedupe(names.map((n) => resolveName(candidates, n)))
      : candidates.filter((c) => options.archived || c.location === 'experiments')
  const started = Date.now()
  const folders = targets.flatMap((t) => checkpointFolders(ws, t))
  const adopted = new Set<string>()
  const wouldAdopt =
    options.adopt && options.dryRun
      ? folders.filter((f) => readManifest(f.dir).error === 'absent').map((f) => relativeToRoot(ws, f.dir))
      : undefined
  if (options.adopt && !options.dryRun) {
    await withWorkspaceLock(
      ws,
      async () => {
        for (const f of folders) {
          if (readManifest(f.dir).error !== 'absent') continue // re-checked under the lock
          await commitCheckpoint({
            adopted: true,
            argv: null,
            experimentDir: f.experimentDir,
            now: options.now,
            runId: f.runId,
            stage: 'adopted',
          })
          adopted.add(f.dir)
        }
      },
      {command: `verify --adopt ${names.join(' ')}`},
    )
  }
  const total = folders.reduce((n, f) => n + (readManifest(f.dir).manifest?.bytes ?? 0), 0)
  const progress = options.onProgress && ((bytes: number) => options.onProgress!(bytes, total))
  const checkpoints: VerifiedCheckpoint[] = []
  const problems: string[] = []
  for (const f of folders) {
    const check = await checkCheckpoint(f.dir, f.experimentDir, {onProgress: progress, quick: options.quick})
    const rel = path.relative(f.experimentDir, f.dir)
    for (const p of check.problems) problems.push(`${f.location.name}: ${problemLine(rel, p)}`)
    checkpoints.push({
      adopted: Boolean(check.manifest?.adopted),
      adopted_now: adopted.has(f.dir) || undefined,
      bytes: check.manifest?.bytes ?? 0,
      experiment: f.location.name,
      files: check.manifest?.files.length ?? 0,
      hashed_bytes: check.hashed_bytes,
      location: f.location.location,
      path: relativeToRoot(ws, f.dir),
      problems: check.problems,
      run_id: f.runId,
      state: check.state,
    })
  }
  return {
    checkpoints,
    duration_ms: Date.now() - started,
    hashed_bytes: checkpoints.reduce((n, c) => n + c.hashed_bytes, 0),
    problems,
    quick: Boolean(options.quick),
    would_adopt: wouldAdopt,
  }
}

interface Folder {
  location: Located
  experimentDir: string
  dir: string
  runId: string
}

function checkpointFolders(ws: Workspace, located: Located): Folder[] {
  const experimentDir = path.join(
    located.location === 'archive' ? ws.paths.archive : ws.paths.experiments,
    located.name,
  )
  let names: string[]
  try {
    names = readdirSync(path.join(experimentDir, CHECKPOINTS_DIR), {withFileTypes: true})
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort()
  } catch {
    return [] // no checkpoints/ folder: nothing to verify
  }
  return names.map((runId) => ({
    dir: path.join(experimentDir, CHECKPOINTS_DIR, runId),
    experimentDir,
    location: located,
    runId,
  }))
}

function dedupe(list: Located[]): Located[] {
  const seen = new Set<string>()
  return list.filter((l) => !seen.has(`${l.location}/${l.name}`) && seen.add(`${l.location}/${l.name}`))
}

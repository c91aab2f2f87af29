import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {listExperimentNames, resolveName} from '../experiments/resolve.js'
import type {Workspace} from '../workspace/workspace.js'
import {
  checkpointListing,
  fetchCheckpoint,
  remoteCheckpoints,
  uploadCheckpoint,
  type UploadOutcome,
} from './checkpoint-sync.js'
import type {RcloneRunOptions} from './rclone.js'
import {EXPERIMENTS_DIR, type Remote} from './remote.js'

/**
 * `exp remote push` / `pull`: an experiment's small files (config, notes, metadata, reports, run records, logs) and
 * its checkpoints. Small files go up to a temporary folder and are moved into place server-side, each whole; they
 * come down to a staging folder under .exp and are renamed into place, each whole.
 */
const NOT_CHECKPOINTS = ['--exclude', '/checkpoints/**']

export interface SyncOptions {
  names?: string[]
  /** rclone's progress on the terminal */
  progress?: boolean
  log?: (line: string) => void
}

export interface PushedExperiment {
  name: string
  files: number
  bytes: number
  checkpoints: {run_id: string; outcome: UploadOutcome}[]
}

export interface LocalFile {
  path: string
  size: number
  mtimeMs: number
}

/** Files under `dir` with paths relative to it; `skipTop` names a top-level folder left out (checkpoints). */
export async function walkFiles(dir: string, skipTop?: string, prefix = ''): Promise<LocalFile[]> {
  const out: LocalFile[] = []
  let entries
  try {
    entries = await fs.readdir(dir, {withFileTypes: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return out
    throw error
  }
  for (const entry of entries) {
    const rel = prefix + entry.name
    if (entry.isDirectory()) {
      if (!(prefix === '' && entry.name === skipTop))
        out.push(...(await walkFiles(path.join(dir, entry.name), skipTop, `${rel}/`)))
    } else if (entry.isFile()) {
      const stat = await fs.stat(path.join(dir, entry.name))
      out.push({mtimeMs: stat.mtimeMs, path: rel, size: stat.size})
    }
  }
  return out
}

/** The local experiments named (default: every active one). */
export async function localExperiments(ws: Workspace, names?: string[]): Promise<string[]> {
  const all = await listExperimentNames(ws, 'experiments')
  return names?.length ? names.map((n) => resolveName(all, n).name) : all.map((l) => l.name)
}

const rcloneOptions = (options: SyncOptions): RcloneRunOptions => ({progress: options.progress})

export async function pushExperiments(
  ws: Workspace,
  remote: Remote,
  options: SyncOptions = {},
): Promise<PushedExperiment[]> {
  const {rclone} = remote
  const out: PushedExperiment[] = []
  for (const name of await localExperiments(ws, options.names)) {
    const dir = path.join(ws.paths.experiments, name)
    const files = await walkFiles(dir, 'checkpoints')
    const tmp = `tmp/${name}-${randomBytes(4).toString('hex')}`
    options.log?.(`${name}: ${files.length} file(s) → ${rclone.path(`${EXPERIMENTS_DIR}/${name}`)}`)
    // the small files and the checkpoints go to different places: both at once, so the small files cost no wall time
    const small = (async () => {
      await rclone.run(['copy', dir, rclone.path(tmp), '-I', ...NOT_CHECKPOINTS], rcloneOptions(options))
      // file by file (no DirMove): the checkpoint upload may create the experiment's folder while this move runs
      const to = rclone.path(`${EXPERIMENTS_DIR}/${name}`)
      await rclone.run(['move', rclone.path(tmp), to, '-I', '--delete-empty-src-dirs', '--disable', 'DirMove']) // removes tmp too
    })()
    const checkpoints: PushedExperiment['checkpoints'] = []
    const uploads = (async () => {
      const runIds = await localCheckpoints(dir)
      const listing = runIds.length > 0 ? checkpointListing(rclone, name) : Promise.resolve([])
      listing.catch(() => {}) // told by the upload that awaits it
      // the newest checkpoint first (the one a run just made): it starts up while the listing is under way
      for (const runId of [...runIds].reverse()) {
        const early = runId === runIds.at(-1)
        const outcome = await uploadCheckpoint(
          rclone,
          {experiment: name, experimentDir: dir, runId},
          rcloneOptions(options),
          listing,
          early,
        )
        options.log?.(`${name}: checkpoint ${runId} ${outcome === 'uploaded' ? 'uploaded' : 'already on the remote'}`)
        checkpoints.push({outcome, run_id: runId})
      }
    })()
    // both end before a failure is told (no rclone left running behind the error); the first failure is the one told
    const failed = (await Promise.allSettled([small, uploads])).find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
    checkpoints.sort((a, b) => a.run_id.localeCompare(b.run_id))
    out.push({bytes: files.reduce((n, f) => n + f.size, 0), checkpoints, files: files.length, name})
  }
  return out
}

export async function localCheckpoints(experimentDir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(path.join(experimentDir, 'checkpoints'), {withFileTypes: true})
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

export interface PulledExperiment {
  name: string
  added: string[]
  updated: string[]
  /** files that differ where the local copy is the newer one: left as they are */
  kept_local: string[]
  checkpoints: {run_id: string; files: number; bytes: number}[]
}

/** The experiments on the remote (folder names under experiments/). */
export async function remoteExperiments(remote: Remote): Promise<string[]> {
  return (await remote.rclone.list(EXPERIMENTS_DIR))
    .filter((e) => e.IsDir && !e.Name.startsWith('.'))
    .map((e) => e.Name)
    .sort()
}

export async function pullExperiments(
  ws: Workspace,
  remote: Remote,
  options: SyncOptions & {checkpoints?: boolean} = {},
): Promise<PulledExperiment[]> {
  const names = options.names?.length ? options.names : await remoteExperiments(remote)
  const out: PulledExperiment[] = []
  for (const name of names) {
    const dir = path.join(ws.paths.experiments, name)
    const staging = path.join(ws.paths.state, `remote-pull-${randomBytes(4).toString('hex')}`)
    const result: PulledExperiment = {added: [], checkpoints: [], kept_local: [], name, updated: []}
    try {
      await remote.rclone.run(
        ['copy', remote.rclone.path(`${EXPERIMENTS_DIR}/${name}`), staging, ...NOT_CHECKPOINTS],
        rcloneOptions(options),
      )
      for (const f of await walkFiles(staging))
        await placeFile(path.join(staging, f.path), path.join(dir, f.path), f, result)
    } finally {
      await fs.rm(staging, {force: true, recursive: true})
    }
    if (options.checkpoints) {
      const have = new Set(await localCheckpoints(dir))
      for (const runId of await remoteCheckpoints(remote.rclone, name)) {
        if (have.has(runId)) continue
        const got = await fetchCheckpoint(
          remote.rclone,
          {experiment: name, experimentDir: dir, runId},
          rcloneOptions(options),
        )
        options.log?.(`${name}: checkpoint ${runId} downloaded and verified (${got.files} file(s))`)
        result.checkpoints.push({run_id: runId, ...got})
      }
    }
    options.log?.(
      `${name}: ${result.added.length} added, ${result.updated.length} updated, ${result.kept_local.length} kept (local is newer)`,
    )
    out.push(result)
  }
  return out
}

/** A staged download into place: new → added; same bytes → nothing; differs → the newer side wins, never lost. */
async function placeFile(staged: string, target: string, f: LocalFile, result: PulledExperiment): Promise<void> {
  if (!existsSync(target)) {
    await fs.mkdir(path.dirname(target), {recursive: true})
    await fs.rename(staged, target)
    result.added.push(f.path)
    return
  }
  const [a, b] = await Promise.all([fs.readFile(staged), fs.readFile(target)])
  if (a.equals(b)) return
  if (f.mtimeMs > (await fs.stat(target)).mtimeMs) {
    await fs.rename(staged, target)
    result.updated.push(f.path)
  } else result.kept_local.push(f.path)
}

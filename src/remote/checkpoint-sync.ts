import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {listCheckpoint, MANIFEST_FILE, type ManifestFile, parseManifest} from '../checkpoints/manifest.js'
import {ExpError} from '../errors.js'
import {sha256File} from '../lib/hash.js'
import type {Rclone, RcloneRunOptions, RemoteEntry} from './rclone.js'

/**
 * Checkpoints on the remote: `<root>/experiments/<name>/checkpoints/<run-id>/…` with its MANIFEST.json (every file's
 * path, size and sha256). An upload goes to a temporary folder beside it and is renamed (`moveto`) only when whole, so
 * no half checkpoint is ever under its final name. Checkpoints are immutable: one already there with another manifest
 * is refused, never overwritten. A download is verified (sizes, then sha256 — WebDAV has no sha256 of its own) in a
 * temporary folder before it is renamed into place.
 */
const PARTIAL = '.partial-'

export interface CheckpointRef {
  experiment: string
  runId: string
  /** local experiment folder */
  experimentDir: string
}

export function remoteCheckpointDir(ref: Pick<CheckpointRef, 'experiment' | 'runId'>): string {
  return `experiments/${ref.experiment}/checkpoints/${ref.runId}`
}

/** The files a manifest lists, through the checkpoint manifest module; a manifest that does not parse is one line. */
function manifestFiles(text: string, where: string): ManifestFile[] {
  const read = parseManifest(text)
  if (!read.manifest)
    throw new ExpError(`${where}/${read.error}; the checkpoint cannot be verified.`, {code: 'BAD_MANIFEST'})
  return read.manifest.files
}

/** The local checkpoint's manifest text: its own MANIFEST.json, or one made now (sizes and sha256) when it has none. */
async function localManifest(ref: CheckpointRef, dir: string): Promise<{text: string; own: boolean}> {
  const file = path.join(dir, MANIFEST_FILE)
  if (existsSync(file)) return {own: true, text: await fs.readFile(file, 'utf8')}
  const files = await Promise.all(
    listCheckpoint(dir).map(async (f) => ({...f, sha256: await sha256File(path.join(dir, f.path))})),
  )
  const bytes = files.reduce((n, f) => n + f.size, 0)
  const manifest = {
    adopted: true,
    bytes,
    experiment: ref.experiment,
    files,
    format: 'exp-checkpoint-manifest',
    run_id: ref.runId,
    version: 1,
  }
  return {own: false, text: JSON.stringify(manifest, null, 2) + '\n'}
}

const sameFiles = (a: ManifestFile[], b: ManifestFile[]) =>
  a.length === b.length && a.every((f, i) => f.path === b[i].path && f.size === b[i].size && f.sha256 === b[i].sha256)
const sorted = (files: ManifestFile[]) => [...files].sort((a, b) => a.path.localeCompare(b.path))

export type UploadOutcome = 'uploaded' | 'already-there'

/**
 * Upload one run's checkpoint folder unless the same one (by manifest sha256) is already there. `listing` is the
 * remote checkpoints folder as listed once for all of an experiment's runs (see checkpointListing). The data goes up
 * in one `rclone copy` (its MANIFEST.json with it when it has its own: the folder is under a partial name until the
 * final `moveto`, which is what makes it whole); no hash is taken here, the manifest already has them. `early`: the
 * copy starts while the listing is still under way (the checkpoint a run just made is new on the remote; were it
 * there after all, the copy is stopped and its partial folder removed before the manifests are compared).
 */
export async function uploadCheckpoint(
  rclone: Rclone,
  ref: CheckpointRef,
  options: RcloneRunOptions = {},
  listing?: Promise<RemoteEntry[]> | RemoteEntry[],
  early = false,
): Promise<UploadOutcome> {
  const local = path.join(ref.experimentDir, 'checkpoints', ref.runId)
  const remoteDir = remoteCheckpointDir(ref)
  const parent = path.posix.dirname(remoteDir)
  const tmp = `${parent}/${PARTIAL}${ref.runId}-${randomBytes(4).toString('hex')}`
  const own = existsSync(path.join(local, MANIFEST_FILE))
  const copy = (signal?: AbortSignal) =>
    rclone.run(
      ['copy', local, rclone.path(tmp), '-I', ...(own ? [] : ['--exclude', `/${MANIFEST_FILE}`]), '--transfers', '4'],
      {...options, signal},
    )
  const stop = early ? new AbortController() : undefined
  let started = stop && copy(stop.signal)
  started?.catch(() => {}) // awaited below, or stopped
  const cancel = async () => {
    if (!started) return
    stop!.abort()
    await started.catch(() => {})
    started = undefined
    await rclone.purge(tmp)
  }
  let entries: RemoteEntry[]
  try {
    entries = await (listing ?? checkpointListing(rclone, ref.experiment))
  } catch (error) {
    await cancel().catch(() => {})
    throw error
  }
  if (entries.some((e) => e.IsDir && e.Name === ref.runId)) {
    const [mine, theirs] = await Promise.all([
      localManifest(ref, local),
      rclone.read(`${remoteDir}/${MANIFEST_FILE}`),
      cancel(),
    ])
    if (theirs !== undefined) {
      if (sameFiles(sorted(manifestFiles(theirs, remoteDir)), sorted(manifestFiles(mine.text, local))))
        return 'already-there'
      throw new ExpError(
        `${rclone.path(remoteDir)} already holds a different checkpoint (its manifest differs); it was not overwritten.`,
        {
          code: 'CHECKPOINT_CONFLICT',
          suggestion: 'compare the two manifests; remove the remote copy with rclone purge if it is the wrong one',
        },
      )
    }
    // a folder without a manifest (not one exp left whole): uploaded again, as when it is not there
  }
  // (the listing may show this upload's own partial folder, when the copy started first)
  const leftovers = entries
    .filter((e) => e.IsDir && e.Name.startsWith(`${PARTIAL}${ref.runId}-`) && `${parent}/${e.Name}` !== tmp)
    .map((e) => rclone.purge(`${parent}/${e.Name}`))
  // without its own manifest, one is made (sizes and sha256) beside the copy
  const made = own ? undefined : localManifest(ref, local)
  await Promise.all([...leftovers, started ?? copy(), made])
  if (made) await rclone.writeText(`${tmp}/${MANIFEST_FILE}`, (await made).text)
  await rclone.move(tmp, remoteDir)
  return 'uploaded'
}

/** An experiment's remote checkpoints folder, listed once: the runs there and the leftovers of interrupted uploads. */
export async function checkpointListing(rclone: Rclone, experiment: string): Promise<RemoteEntry[]> {
  return rclone.list(`experiments/${experiment}/checkpoints`)
}

/** The run ids of the checkpoints an experiment has on the remote (whole ones: a manifest and a final name). */
export async function remoteCheckpoints(rclone: Rclone, experiment: string): Promise<string[]> {
  const entries = await checkpointListing(rclone, experiment)
  return entries.filter((e) => e.IsDir && !e.Name.startsWith('.')).map((e) => e.Name)
}

/**
 * Download a checkpoint missing locally and verify it against its remote manifest (every size and sha256) before it
 * takes its final local name; a file that does not match is named and nothing is left behind.
 */
export async function fetchCheckpoint(
  rclone: Rclone,
  ref: CheckpointRef,
  options: RcloneRunOptions = {},
): Promise<{files: number; bytes: number}> {
  const remoteDir = remoteCheckpointDir(ref)
  const text = await rclone.read(`${remoteDir}/${MANIFEST_FILE}`)
  if (text === undefined) {
    throw new ExpError(
      `checkpoint ${ref.runId} of ${ref.experiment} is neither here nor on ${rclone.path(remoteDir)}.`,
      {code: 'CHECKPOINT_MISSING'},
    )
  }
  const files = manifestFiles(text, rclone.path(remoteDir))
  const parent = path.join(ref.experimentDir, 'checkpoints')
  const final = path.join(parent, ref.runId)
  const tmp = path.join(parent, `${PARTIAL}${ref.runId}-${randomBytes(4).toString('hex')}`)
  await fs.mkdir(parent, {recursive: true})
  try {
    await rclone.run(['copy', rclone.path(remoteDir), tmp, '--transfers', '4'], options)
    for (const f of files) {
      const file = path.join(tmp, f.path)
      const size = existsSync(file) ? (await fs.stat(file)).size : -1
      const bad =
        size < 0
          ? 'missing'
          : size === f.size
            ? (await sha256File(file)) === f.sha256
              ? undefined
              : 'sha256 differs'
            : `size ${size}, manifest says ${f.size}`
      if (bad) {
        throw new ExpError(
          `the remote copy of checkpoint ${ref.runId} is corrupt: ${f.path} (${bad}); refused, nothing kept.`,
          {
            code: 'CHECKPOINT_CORRUPT',
            suggestion: 'push the checkpoint again from a machine that has it whole',
          },
        )
      }
    }
    // another worker of this machine may have fetched the same checkpoint meanwhile: theirs is verified too
    if (!existsSync(final)) await fs.rename(tmp, final)
  } finally {
    await fs.rm(tmp, {force: true, recursive: true})
  }
  return {bytes: files.reduce((n, f) => n + f.size, 0), files: files.length}
}

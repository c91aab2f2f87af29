import {type Dirent, lstatSync, readdirSync, readFileSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../errors.js'
import {writeJsonAtomic} from '../lib/atomic.js'

/**
 * The checkpoint manifest: `checkpoints/<run-id>/MANIFEST.json`, written by exp when a train stage completes,
 * last and atomically (temporary file, fsync, rename, fsync of the folder): its presence is the commit. It lists
 * every file under the folder with its size and sha256, so a checkpoint can be checked cheaply (the names and
 * sizes: `quick`) or fully (every sha256) before anything trusts it.
 */
export const MANIFEST_FILE = 'MANIFEST.json'
export const MANIFEST_FORMAT = 'exp-checkpoint-manifest'
export const MANIFEST_VERSION = 1
export const CHECKPOINTS_DIR = 'checkpoints'
export const NO_MANIFEST = 'no manifest: the train stage did not finish or predates manifests'

export interface ManifestFile {
  path: string
  size: number
  sha256: string
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  version: number
  experiment: string
  run_id: string
  stage: string
  created_at: string
  /** sha256 of the experiment's config.yaml when the checkpoint was committed (null: none) */
  config_sha256: string | null
  /** the engine's argument list (null for an adopted checkpoint: exp did not see it made) */
  argv: string[] | null
  git_commit: string | null
  /** written by `exp verify --adopt` for a checkpoint made without exp watching: exp cannot prove it was whole */
  adopted: boolean
  files: ManifestFile[]
  bytes: number
  /** what looked wrong when it was committed: an empty folder, 0-byte files, an engine's sidecar that disagrees */
  warnings: string[]
  hashing: {duration_ms: number; bytes: number}
}

/** One entry under a checkpoint folder, as a walk sees it (paths relative to the folder, with `/`). */
export interface CheckpointEntry {
  path: string
  size: number
  kind: 'file' | 'link'
}

/** Files that may appear in a checkpoint folder without being part of it: exp's own temporaries (a killed commit). */
export function isKnownTemporary(rel: string): boolean {
  return /^\.MANIFEST\.json\.\d+\.[\da-f]+\.tmp$/.test(rel) || /(^|\/)\.nfs[\da-f]+$/i.test(rel)
}

/** Every file and symbolic link under `dir` (one lstat each; links not followed), MANIFEST.json and temporaries aside. */
export function listCheckpoint(dir: string): CheckpointEntry[] {
  const out: CheckpointEntry[] = []
  const visit = (abs: string, prefix: string) => {
    const entries: Dirent[] = readdirSync(abs, {withFileTypes: true})
    for (const entry of entries) {
      const rel = prefix + entry.name
      const stats = lstatSync(path.join(abs, entry.name))
      if (stats.isDirectory()) visit(path.join(abs, entry.name), `${rel}/`)
      else if (rel !== MANIFEST_FILE && !isKnownTemporary(rel))
        out.push({kind: stats.isSymbolicLink() ? 'link' : 'file', path: rel, size: stats.size})
    }
  }
  visit(dir, '')
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * What a symbolic link in a checkpoint resolves to: its target's size when the target is a file inside the
 * experiment, else the problem (`symlink pointing outside the experiment`, `unreadable`).
 */
export function resolveLink(file: string, experimentDir: string): {size: number} | {problem: string} {
  try {
    const real = realpathSync(file)
    const root = realpathSync(experimentDir)
    if (real !== root && !real.startsWith(root + path.sep)) return {problem: 'symlink pointing outside the experiment'}
    return {size: statSync(real).size}
  } catch (error) {
    return {problem: `unreadable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`}
  }
}

export type ManifestRead = {manifest: Manifest; error?: undefined} | {manifest?: undefined; error: 'absent' | string}

export function readManifest(dir: string): ManifestRead {
  let text: string
  try {
    text = readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {error: 'absent'}
    return {error: `${MANIFEST_FILE}: unreadable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`}
  }
  return parseManifest(text)
}

export function parseManifest(text: string): ManifestRead {
  let value: Partial<Manifest>
  try {
    value = JSON.parse(text)
  } catch (error) {
    return {error: `${MANIFEST_FILE}: does not parse (${messageOf(error)})`}
  }
  if (!value || typeof value !== 'object' || value.format !== MANIFEST_FORMAT || !Array.isArray(value.files)) {
    return {error: `${MANIFEST_FILE}: not an exp checkpoint manifest`}
  }
  if (typeof value.version !== 'number' || value.version > MANIFEST_VERSION) {
    return {
      error: `${MANIFEST_FILE}: format version ${String(value.version)} is newer than this exp reads (${MANIFEST_VERSION})`,
    }
  }
  const bad = value.files.find(
    (f) =>
      typeof f?.path !== 'string' ||
      typeof f.size !== 'number' ||
      !/^[\da-f]{64}$/.test(String(f.sha256)) ||
      f.path.split('/').includes('..') ||
      path.isAbsolute(f.path),
  )
  if (bad) return {error: `${MANIFEST_FILE}: an invalid file entry (${JSON.stringify(bad).slice(0, 80)})`}
  return {manifest: value as Manifest}
}

/** The commit: MANIFEST.json written last, atomically (temporary file + fsync + rename + fsync of the folder). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest)
}

/**
 * An engine's own checksum sidecars: `<file>.sha256` in the `sha256sum` format (`<hex>  <name>`, names relative
 * to the sidecar's folder), or a JSON `<file>.sha256.json` object with a `sha256` field (and whatever else the
 * engine keeps there: its RNG seed, a tokenizer's hash). Returns the files they vouch for.
 */
export function readSidecars(
  dir: string,
  entries: CheckpointEntry[],
): Array<{sidecar: string; target: string; sha256: string}> {
  const out: Array<{sidecar: string; target: string; sha256: string}> = []
  for (const e of entries) {
    if (e.kind !== 'file' || e.size > 1024 * 1024) continue
    const isSum = e.path.endsWith('.sha256')
    const jsonTarget = e.path.endsWith('.sha256.json') ? e.path.slice(0, -'.sha256.json'.length) : undefined
    if (!isSum && !jsonTarget) continue
    let text: string
    try {
      text = readFileSync(path.join(dir, e.path), 'utf8')
    } catch {
      continue // reported as unreadable by the check of the file itself
    }
    const folder = path.posix.dirname(e.path)
    if (isSum) {
      for (const line of text.split('\n')) {
        const m = /^([\da-fA-F]{64}) [ *](.+)$/.exec(line.trim())
        if (m)
          out.push({
            sha256: m[1].toLowerCase(),
            sidecar: e.path,
            target: path.posix.normalize(folder === '.' ? m[2] : `${folder}/${m[2]}`),
          })
      }
    } else {
      try {
        const value = JSON.parse(text) as {sha256?: unknown}
        if (typeof value?.sha256 === 'string' && /^[\da-fA-F]{64}$/.test(value.sha256))
          out.push({sha256: value.sha256.toLowerCase(), sidecar: e.path, target: jsonTarget!})
      } catch {
        // a JSON file that is not a sidecar
      }
    }
  }
  return out
}

/** A problem as one line naming the file: `checkpoints/<id>/model.bin: missing`, `checkpoints/<id>: no manifest: …`. */
export function problemLine(folder: string, problem: string): string {
  const folderLevel = problem.startsWith('no manifest') || problem.startsWith('unreadable (')
  return `${folder}${folderLevel ? ': ' : '/'}${problem}`
}

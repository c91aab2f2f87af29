import {readdirSync} from 'node:fs'
import path from 'node:path'

import {hashFiles} from '../lib/hash-pool.js'
import {
  CHECKPOINTS_DIR,
  type CheckpointEntry,
  listCheckpoint,
  type Manifest,
  NO_MANIFEST,
  problemLine,
  readManifest,
  readSidecars,
  resolveLink,
} from './manifest.js'

/**
 * committed: a manifest, and the folder agrees with it; uncommitted: no manifest (the train did not finish, or
 * the checkpoint predates manifests); corrupt: a manifest that does not parse, or a folder that disagrees with it.
 */
export type CheckpointState = 'committed' | 'uncommitted' | 'corrupt'

export interface CheckpointCheck {
  state: CheckpointState
  /** one line each, relative to the checkpoint folder: `model.bin: size 0 ≠ 1048576` */
  problems: string[]
  manifest?: Manifest
  /** bytes read to hash (0 for a quick check) */
  hashed_bytes: number
}

/**
 * The quick check, from a listing alone (no file is read): every file of the manifest is there with its size,
 * nothing is there that it does not list (exp's temporaries aside), symbolic links stay inside the experiment,
 * and the engine's sidecars agree with the manifest's sha256.
 */
export function quickProblems(
  dir: string,
  experimentDir: string,
  manifest: Manifest,
  entries: CheckpointEntry[],
): string[] {
  const problems: string[] = []
  const listed = new Map(manifest.files.map((f) => [f.path, f]))
  const present = new Set<string>()
  for (const e of entries) {
    present.add(e.path)
    let {size} = e
    if (e.kind === 'link') {
      const target = resolveLink(path.join(dir, e.path), experimentDir)
      if ('problem' in target) {
        problems.push(`${e.path}: ${target.problem}`)
        continue
      }
      size = target.size
    }
    const want = listed.get(e.path)
    if (!want) problems.push(`${e.path}: extra`)
    else if (size !== want.size) problems.push(`${e.path}: size ${size} ≠ ${want.size}`)
  }
  for (const f of manifest.files) if (!present.has(f.path)) problems.push(`${f.path}: missing`)
  for (const s of readSidecars(dir, entries)) {
    const want = listed.get(s.target)
    if (want && want.sha256 !== s.sha256) problems.push(`${s.target}: sha256 differs from its sidecar ${s.sidecar}`)
  }
  return problems
}

export interface CheckOptions {
  /** names and sizes only; no file is read */
  quick?: boolean
  onProgress?: (bytes: number) => void
}

/** Check one checkpoint folder against its manifest: quick (names and sizes) or full (every sha256 too). */
export async function checkCheckpoint(
  dir: string,
  experimentDir: string,
  options: CheckOptions = {},
): Promise<CheckpointCheck> {
  const read = readManifest(dir)
  if (read.error === 'absent') return {hashed_bytes: 0, problems: [NO_MANIFEST], state: 'uncommitted'}
  if (read.manifest === undefined) return {hashed_bytes: 0, problems: [read.error], state: 'corrupt'}
  const {manifest} = read
  let entries: CheckpointEntry[]
  try {
    entries = listCheckpoint(dir)
  } catch (error) {
    return {
      hashed_bytes: 0,
      manifest,
      problems: [`unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
      state: 'corrupt',
    }
  }
  const problems = quickProblems(dir, experimentDir, manifest, entries)
  let hashed = 0
  if (!options.quick) {
    // hash only what the listing did not already condemn (missing, wrong size, escaping)
    const condemned = new Set(problems.map((p) => p.slice(0, p.lastIndexOf(': '))))
    const todo = manifest.files.filter((f) => !condemned.has(f.path))
    const results = await hashFiles(
      todo.map((f) => ({file: path.join(dir, f.path), size: f.size})),
      {onProgress: options.onProgress},
    )
    todo.forEach((f, i) => {
      const r = results[i]
      hashed += r.bytes ?? 0
      if (r.error !== undefined) problems.push(`${f.path}: unreadable (${r.error})`)
      else if (r.sha256 !== f.sha256) problems.push(`${f.path}: sha256 differs`)
    })
  }
  return {hashed_bytes: hashed, manifest, problems, state: problems.length > 0 ? 'corrupt' : 'committed'}
}

/** The quick state of a checkpoint from a listing someone already made (the experiment scan): no hashing. */
export function quickState(
  dir: string,
  experimentDir: string,
  entries: CheckpointEntry[],
  hasManifest: boolean,
): {state: CheckpointState; problems: string[]} {
  if (!hasManifest) return {problems: [NO_MANIFEST], state: 'uncommitted'}
  const read = readManifest(dir)
  if (read.manifest === undefined)
    return read.error === 'absent'
      ? {problems: [NO_MANIFEST], state: 'uncommitted'}
      : {problems: [read.error], state: 'corrupt'}
  const problems = quickProblems(dir, experimentDir, read.manifest, entries)
  return {problems, state: problems.length > 0 ? 'corrupt' : 'committed'}
}

/**
 * The full check of every committed checkpoint (one with a manifest) under an experiment folder, as problem lines
 * (`checkpoints/<id>/model.bin: sha256 differs`). Checkpoints without a manifest have nothing to be checked against.
 */
export async function committedCheckpointProblems(experimentDir: string): Promise<string[]> {
  const root = path.join(experimentDir, CHECKPOINTS_DIR)
  let names: string[]
  try {
    names = readdirSync(root, {withFileTypes: true})
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  } catch {
    return []
  }
  const out: string[] = []
  for (const name of names) {
    const dir = path.join(root, name)
    if (readManifest(dir).error === 'absent') continue
    const check = await checkCheckpoint(dir, experimentDir)
    for (const p of check.problems) out.push(problemLine(`${CHECKPOINTS_DIR}/${name}`, p))
  }
  return out
}

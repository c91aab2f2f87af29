import {readdirSync} from 'node:fs'
import path from 'node:path'

import {splitDirName} from '../experiments/naming.js'
import {RUNS_DIR} from '../runs/record.js'
import {readSweepFile, SWEEP_FILE} from '../sweeps/record.js'

/** Where completion looks: the workspace's experiments/ and archive folders (from exp.yaml's paths). */
export interface NameDirs {
  experiments: string
  archive: string
}

export type Where = 'active' | 'archived' | 'all'

/** Folder names in `dir` (one readdir; nothing when it is missing or unreadable). */
function folders(dir: string): string[] {
  try {
    return readdirSync(dir, {withFileTypes: true})
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
  } catch {
    return []
  }
}

function roots(dirs: NameDirs, where: Where): string[] {
  return where === 'active'
    ? [dirs.experiments]
    : where === 'archived'
      ? [dirs.archive]
      : [dirs.experiments, dirs.archive]
}

/**
 * Experiment folder names starting with `prefix`; when none does, those whose name without its date does (the
 * shell then replaces the typed word with the full folder name). Folder names only: no file is read.
 */
export function experimentNames(dirs: NameDirs, where: Where, prefix: string): string[] {
  const all = [...new Set(roots(dirs, where).flatMap((dir) => folders(dir)))].sort()
  const full = all.filter((n) => n.startsWith(prefix))
  return full.length > 0 || prefix === '' ? full : all.filter((n) => splitDirName(n).slug.startsWith(prefix))
}

/** The folder of what a person typed as NAME or NAME/VARIANT (full or undated name), or undefined. */
export function experimentDir(dirs: NameDirs, where: Where, typed: string): string | undefined {
  const [name, variant] = typed.replace(/\/+$/, '').split('/')
  for (const root of roots(dirs, where)) {
    const names = folders(root)
    const hits = names.includes(name) ? [name] : names.filter((n) => splitDirName(n).slug === name)
    if (hits.length === 1) return variant ? path.join(root, hits[0], variant) : path.join(root, hits[0])
  }
  return undefined
}

/** `SWEEP/VARIANT` for the variants of the sweep before the slash whose names start with what follows it. */
export function variantNames(dirs: NameDirs, where: Where, typed: string): string[] {
  const slash = typed.indexOf('/')
  const dir = experimentDir(dirs, where, typed.slice(0, slash))
  if (!dir) return []
  const variants = readSweepFile(path.join(dir, SWEEP_FILE)).record?.variants.map((v) => v.name) ?? []
  const prefix = typed.slice(slash + 1)
  return variants.filter((v) => v.startsWith(prefix)).map((v) => `${typed.slice(0, slash)}/${v}`)
}

/** The run ids of an experiment (or variant) as typed, newest first, starting with `prefix`. */
export function runIds(dirs: NameDirs, typed: string | undefined, prefix: string): string[] {
  const dir = typed === undefined ? undefined : experimentDir(dirs, 'all', typed)
  if (!dir) return []
  return folders(path.join(dir, RUNS_DIR))
    .filter((id) => id.startsWith(prefix))
    .sort()
    .reverse()
}

import {type Dirent, lstatSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {walkedCheckpointEntry} from '../checkpoints/summary.js'
import {CONFIG_FILE, METADATA_FILE, NOTES_FILE, REPORTS_DIR} from '../records/files.js'
import {RUN_FILE, RUNS_DIR} from '../runs/record.js'
import {readSweepFile, SWEEP_FILE} from '../sweeps/record.js'
import {addVariant, type Walked} from './walked.js'

/*
 * The scan's one directory walk: one lstat per entry (symbolic links not followed), noting the files the scan reads.
 * Synchronous on purpose (see scan.ts).
 */

/** The experiment folders under `base` (or just those named in `only`), each walked once. */
export function walk(base: string, only?: string[]): Walked[] {
  let tops: Dirent[]
  try {
    tops = readdirSync(base, {withFileTypes: true})
  } catch {
    return [] // no experiments folder (or an unreadable one): nothing to list
  }
  if (only) {
    const wanted = new Set(only)
    tops = tops.filter((d) => wanted.has(d.name))
  }
  const out: Walked[] = []
  for (const top of tops) {
    // a loose file (or a symbolic link) in experiments/ is not an experiment; hidden folders are exp's own
    if (!top.isDirectory() || top.name.startsWith('.') || top.name === 'README.md') continue
    const dir = path.join(base, top.name)
    let stats
    try {
      stats = lstatSync(dir)
    } catch {
      continue // removed while we looked
    }
    const w: Walked = {bytes: 0, checkpoints: new Map(), fileCount: 0, hasConfig: false, lastModified: stats.mtimeMs, lastModifiedPath: '.', name: top.name, toRead: []}
    walkInto(dir, '', w)
    out.push(w)
  }
  return out
}

/** Every entry under `dir`, one lstat each (symbolic links not followed); a folder's files before its subfolders. */
function walkInto(dir: string, prefix: string, w: Walked, inVariant = false): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return // an unreadable subfolder is skipped, as before
  }
  // which files here carry meaning, decided once per folder rather than per file (this runs for every file)
  const top = prefix === ''
  // reports/*.json, and an evaluation suite's reports/<run-id>/<evaluation>.json
  const reportsHere = prefix === `${REPORTS_DIR}/` || (prefix.startsWith(`${REPORTS_DIR}/`) && prefix.indexOf('/', REPORTS_DIR.length + 1) === prefix.length - 1)
  const runHere = prefix.startsWith(`${RUNS_DIR}/`) && prefix.indexOf('/', RUNS_DIR.length + 1) === prefix.length - 1
  const checkpointHere = prefix.startsWith('checkpoints/')
  const subdirs: Array<[name: string, mtimeMs: number]> = []
  let sweepHere = false
  for (const entry of entries) {
    const name = entry.name
    const rel = prefix + name
    let stats
    try {
      stats = lstatSync(dir + path.sep + name)
    } catch {
      continue
    }
    if (stats.mtimeMs > w.lastModified) {
      w.lastModified = stats.mtimeMs
      w.lastModifiedPath = rel
    }
    if (checkpointHere) walkedCheckpointEntry(w.checkpoints, rel, stats)
    if (stats.isDirectory()) {
      subdirs.push([name, stats.mtimeMs])
      continue
    }
    w.fileCount++
    w.bytes += stats.size
    if (top && name === CONFIG_FILE) w.hasConfig = true
    else if (top && name === SWEEP_FILE && !inVariant) sweepHere = true
    else if ((top && (name === METADATA_FILE || name === NOTES_FILE)) || (reportsHere && name.endsWith('.json')) || (runHere && name === RUN_FILE)) {
      w.toRead.push({mtimeMs: stats.mtimeMs, rel})
    }
  }
  if (sweepHere) w.sweep = readSweepFile(dir + path.sep + SWEEP_FILE)
  const variants = w.sweep?.record && sweepHere ? new Set(w.sweep.record.variants.map((v) => v.name)) : undefined
  for (const [name, mtimeMs] of subdirs) {
    if (variants?.has(name)) walkVariant(dir + path.sep + name, name, mtimeMs, w)
    else walkInto(dir + path.sep + name, `${prefix}${name}/`, w, inVariant)
  }
}

/** A variant folder: walked like an experiment of its own, its totals added to the experiment's. */
function walkVariant(dir: string, name: string, mtimeMs: number, parent: Walked): void {
  const v: Walked = {bytes: 0, checkpoints: new Map(), fileCount: 0, hasConfig: false, lastModified: mtimeMs, lastModifiedPath: '.', name, toRead: []}
  walkInto(dir, '', v, true)
  addVariant(parent, v)
}

export function isRunFile(rel: string): boolean {
  const parts = rel.split('/')
  return parts.length === 3 && parts[0] === RUNS_DIR && parts[2] === RUN_FILE
}

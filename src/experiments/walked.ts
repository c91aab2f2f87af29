import type {CheckpointWalk} from '../checkpoints/summary.js'
import type {SweepRecord} from '../sweeps/record.js'

/** What the scan's walk gathers of one experiment (or one variant folder of a sweep) before reading its files. */
export interface Walked {
  name: string
  fileCount: number
  bytes: number
  lastModified: number
  lastModifiedPath: string
  /** files that carry meaning, with the mtime the walk saw (no second stat when they are read) */
  toRead: {rel: string; mtimeMs: number}[]
  hasConfig: boolean
  /** checkpoints/<run-id>/ folders and their files, for their quick state (no file is read but the manifest) */
  checkpoints: CheckpointWalk
  /** a sweep: its sweep.yaml, and each listed variant folder walked on its own (its counts are in the parent's too) */
  sweep?: {record?: SweepRecord; error?: string}
  variants?: Walked[]
}

/** Count a walked variant folder in its experiment: files, bytes and last activity (the path from the experiment). */
export function addVariant(parent: Walked, v: Walked): void {
  parent.fileCount += v.fileCount
  parent.bytes += v.bytes
  if (v.lastModified > parent.lastModified) {
    parent.lastModified = v.lastModified
    parent.lastModifiedPath = v.lastModifiedPath === '.' ? v.name : `${v.name}/${v.lastModifiedPath}`
  }
  ;(parent.variants ??= []).push(v)
}

import type {CheckpointSummary} from '../checkpoints/summary.js'
import type {Report} from '../reports/report.js'
import type {RunRecord} from '../runs/record.js'
import type {SweepRecord} from '../sweeps/record.js'

/** Where an experiment lives: the active folder or the archive. */
export type Location = 'experiments' | 'archive'

/** A person's explicit verdict in notes.md: a `Status:` or `Result:` line holding ✓ or ✗. */
/**
 * Everything exp knows of one experiment directory, read from disk once by the scan. Classification, list,
 * show, archive and promote all work from this snapshot and never read the directory again.
 */
export interface ExperimentSnapshot {
  name: string
  slug: string
  date: string | null
  dir: string
  location: Location
  fileCount: number
  bytes: number
  /** newest mtime of anything under the directory (ms), and the path (relative to dir) that has it */
  lastModified: number
  lastModifiedPath: string
  hasConfig: boolean
  metadata?: Record<string, unknown>
  /** why metadata.json cannot be used (unreadable, not JSON, not an object): one line naming the file */
  metadataProblem?: string
  /** notes.md as read; classify/verdicts.ts finds a person's verdict in it */
  notesText?: string
  /** all reports that belong to it, newest first; invalid ones carry `error` */
  reports: Report[]
  /** runs, newest first */
  runs: RunRecord[]
  /** checkpoints/<run-id>/ folders with their quick state (committed / uncommitted / corrupt), by run id */
  checkpoints?: CheckpointSummary[]
  warnings: string[]
  /** a sweep: its sweep.yaml, and one snapshot per variant listed there (name = the variant's folder name) */
  sweep?: SweepRecord
  variants?: ExperimentSnapshot[]
}

import {readFileSync} from 'node:fs'
import path from 'node:path'

import type {Rule, Status} from '../classify/classify.js'
import {METADATA_FILE} from '../experiments/scan.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {packageVersion} from '../lib/package.js'
import type {PlannedArchive, PlannedReport} from './plan.js'

/** Archiving, step two: the record an archived experiment's metadata.json carries. */

/** The archive metadata.json: the experiment's own keys, kept, plus this object. */
export interface ArchiveRecord {
  status: Status
  reason: string
  rule: Rule
  source?: string
  archived_at: string
  original_path: string
  /** the experiment's files and bytes as they were when archived (before this record and the report copies) */
  file_count: number
  bytes: number
  reports: Array<PlannedReport & {sha256: string; bytes: number}>
  exp_version: string
  /** set by exp restore */
  restored_at?: string
  /** earlier archive records, when the experiment was archived, restored and archived again */
  previous?: unknown[]
  /** the original metadata.json text when it was not a JSON object (kept here rather than lost) */
  original_metadata_text?: string
}

/** The metadata.json an archived experiment arrives with: its own keys (or text), kept, plus the archive record. */
export async function archivedMetadata(
  src: string,
  item: PlannedArchive,
  copied: ArchiveRecord['reports'],
  now: Date,
): Promise<string> {
  const own = await readOwnMetadata(src)
  // key order is the order a person reads the record in
  const record: ArchiveRecord = {
    status: item.status,
    reason: item.reason,
    rule: item.rule,
    source: item.source,
    archived_at: now.toISOString(),
    original_path: item.from,
    file_count: item.files,
    bytes: item.bytes,
    reports: copied,
    exp_version: packageVersion(),
  }
  const previous = own.value?.archive
  if (previous && typeof previous === 'object' && !Array.isArray(previous)) {
    const {previous: older, ...last} = previous as {previous?: unknown}
    record.previous = [...(Array.isArray(older) ? older : []), last]
  }
  if (own.text !== undefined && !own.value) record.original_metadata_text = own.text
  return JSON.stringify({...own.value, archive: record}, null, 2) + '\n'
}

/** The experiment's own metadata.json: its keys when it is a JSON object, its text in any case. */
export async function readOwnMetadata(dir: string): Promise<{value?: Record<string, unknown>; text?: string}> {
  let text: string
  try {
    text = readFileSync(path.join(dir, METADATA_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
  try {
    const value = parseJsonBounded(text) as Record<string, unknown>
    if (value && typeof value === 'object' && !Array.isArray(value)) return {text, value}
  } catch {
    // not JSON: kept as text in the archive record
  }
  return {text}
}

import path from 'node:path'

import {ExpError} from '../errors.js'
import {METADATA_FILE} from '../experiments/scan.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {readIfExists} from '../lib/read-if-exists.js'

/**
 * Where a promotion is recorded besides the production file: the experiment's metadata.json `promotions` list and
 * the leaderboard row. Read under the workspace lock, changed in memory, written by the caller as one journaled step.
 */
export type PromotionEntry = Record<string, unknown>

export interface MetadataRecord {
  file: string
  metadata: Record<string, unknown>
  promotions: PromotionEntry[]
}

/** metadata.json for recording a promotion; absent is empty. Anything exp would lose by rewriting it is refused. */
export async function readMetadataRecord(ws: Workspace, dir: string): Promise<MetadataRecord> {
  const file = path.join(dir, METADATA_FILE)
  const text = await readIfExists(file)
  if (text === undefined) return {file, metadata: {}, promotions: []}
  const rel = relativeToRoot(ws, file)
  let value: unknown
  try {
    value = parseJsonBounded(text)
  } catch {}
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ExpError(`${rel} is not a valid JSON object; fix it first (promotions are recorded there).`, {code: 'INVALID_METADATA'})
  }
  const metadata = value as Record<string, unknown>
  const {promotions} = metadata
  if (promotions !== undefined && !Array.isArray(promotions)) {
    throw new ExpError(`${rel}: "promotions" is ${JSON.stringify(promotions).slice(0, 40)}, not a list; fix it first (promotions are recorded there).`, {code: 'INVALID_METADATA'})
  }
  return {file, metadata, promotions: (promotions as PromotionEntry[] | undefined) ?? []}
}

/** metadata.json with the promotions replaced, every other key kept. */
export function metadataWrite(record: MetadataRecord, promotions: PromotionEntry[]): {file: string; data: string} {
  return {data: JSON.stringify({...record.metadata, promotions}, null, 2) + '\n', file: record.file}
}

/** A promotion entry in force for this target (not rolled back), optionally of this exact config. */
export function isInForce(p: PromotionEntry, target: string, sha?: string): boolean {
  return Boolean(p) && typeof p === 'object' && p.target === target && !p.rolled_back_at && (sha === undefined || p.config_sha256 === sha)
}

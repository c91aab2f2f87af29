import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {readIfExists} from '../lib/read-if-exists.js'
import {METADATA_FILE} from '../records/files.js'
import {type Metadata, parseMetadata, serializeMetadata} from '../records/metadata.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

/**
 * Where a promotion is recorded besides the production file: the experiment's metadata.json `promotions` list and
 * the leaderboard row. Read under the workspace lock, changed in memory, written by the caller as one journaled step.
 */
export type PromotionEntry = Record<string, unknown>

/** The fields of metadata.json a promotion rewrites: only a problem in them blocks it (nothing else is lost). */
export const PROMOTION_FIELDS = ['promotions'] as const

export interface MetadataRecord {
  file: string
  metadata: Metadata
  promotions: PromotionEntry[]
}

/** metadata.json for recording a promotion; absent is empty. Anything exp would lose by rewriting it is refused. */
export async function readMetadataRecord(ws: Workspace, dir: string): Promise<MetadataRecord> {
  const file = path.join(dir, METADATA_FILE)
  const text = await readIfExists(file)
  if (text === undefined) return {file, metadata: {}, promotions: []}
  let metadata: Metadata
  try {
    metadata = await parseMetadata(text, relativeToRoot(ws, file), PROMOTION_FIELDS)
  } catch (error) {
    throw new ExpError(`${messageOf(error).replace(/\.$/, '')}; fix it first (promotions are recorded there).`, {
      code: 'INVALID_METADATA',
    })
  }
  return {file, metadata, promotions: metadata.promotions ?? []}
}

/** metadata.json with the promotions replaced, every other key kept. */
export function metadataWrite(record: MetadataRecord, promotions: PromotionEntry[]): {file: string; data: string} {
  return {data: serializeMetadata({...record.metadata, promotions}), file: record.file}
}

/** A promotion entry in force for this target (not rolled back), optionally of this exact config. */
export function isInForce(p: PromotionEntry, target: string, sha?: string): boolean {
  return (
    Boolean(p) &&
    typeof p === 'object' &&
    p.target === target &&
    !p.rolled_back_at &&
    (sha === undefined || p.config_sha256 === sha)
  )
}

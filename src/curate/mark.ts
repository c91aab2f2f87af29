import {promises as fs} from 'node:fs'
import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {resolveExperiment} from '../experiments/resolve.js'
import {METADATA_FILE, NOTES_FILE} from '../experiments/scan.js'
import {writeFileAtomic, writeJsonAtomic} from '../lib/atomic.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'

/**
 * `exp mark`: a person's verdict, recorded where classification looks first (metadata.json `status`) and where
 * people read (a `Status: ✓ reason` line appended to notes.md). Every line exp appends ends with the marker
 * `<!-- exp mark -->`, and metadata.json `verdict` keeps the exact line, so `--clear` (and a new mark, which
 * replaces the old) removes exp's lines and never a line a person wrote. Each file is written atomically; a crash
 * between the two writes leaves a marked line that the next mark or clear removes.
 */
export const MARKER = '<!-- exp mark -->'

export type MarkVerdict = 'success' | 'failed'

export interface MarkOptions {
  name: string
  verdict?: MarkVerdict
  /** remove exp's verdict instead */
  clear?: boolean
  reason?: string
  dryRun?: boolean
  now: Clock
}

export interface MarkResult {
  experiment: string
  action: 'marked' | 'cleared' | 'nothing-to-clear'
  status: MarkVerdict | null
  reason: string | null
  /** the line appended to notes.md (marked), or the lines removed (cleared) */
  notes_line: string | null
  removed_lines: string[]
  /** metadata.json status after the change (a status a person had set is put back by --clear) */
  metadata_status: unknown
  dry_run: boolean
}

interface VerdictRecord {
  status: MarkVerdict
  reason: string | null
  marked_at: string
  notes_line: string
  /** the status metadata.json had before exp's verdict replaced it (absent: none), put back by --clear */
  previous_status?: unknown
}

export async function markExperiment(ws: Workspace, options: MarkOptions): Promise<MarkResult> {
  const reason = options.reason?.replace(/\s+/g, ' ').trim() || null
  if (reason?.includes('<!--'))
    throw new ExpError('a --reason cannot contain "<!--".', {code: 'USAGE', exit: EXIT.usage})
  const located = await resolveExperiment(ws, options.name)
  const dir = path.join(located.location === 'experiments' ? ws.paths.experiments : ws.paths.archive, located.name)
  const work = async (): Promise<MarkResult> => {
    // re-read under the lock: what a person or another exp wrote a moment ago is kept
    const metadata = await readMetadata(ws, dir)
    const notes = await fs
      .readFile(path.join(dir, NOTES_FILE), 'utf8')
      .catch((error) => (error.code === 'ENOENT' ? '' : Promise.reject(error)))
    const old = isVerdict(metadata.verdict) ? metadata.verdict : undefined
    const {kept, removed} = withoutMarkedLines(notes)
    const base = {dry_run: Boolean(options.dryRun), experiment: located.name, removed_lines: removed}
    if (options.clear) {
      if (!old && removed.length === 0)
        return {
          ...base,
          action: 'nothing-to-clear',
          metadata_status: metadata.status ?? null,
          notes_line: null,
          reason: null,
          status: null,
        }
      const next = {...metadata}
      delete next.verdict
      if (old && next.status === old.status) {
        if (old.previous_status === undefined) delete next.status
        else next.status = old.previous_status
      }
      if (!options.dryRun) await write(dir, removed.length > 0 ? kept : undefined, next)
      return {
        ...base,
        action: 'cleared',
        metadata_status: next.status ?? null,
        notes_line: null,
        reason: old?.reason ?? null,
        status: null,
      }
    }
    const verdict = options.verdict!
    const line = `Status: ${verdict === 'success' ? '✓' : '✗'}${reason ? ` ${reason}` : ''} ${MARKER}`
    const previous = old ? old.previous_status : metadata.status
    const record: VerdictRecord = {
      marked_at: options.now().toISOString(),
      notes_line: line,
      reason,
      status: verdict,
      ...(previous === undefined ? {} : {previous_status: previous}),
    }
    const text = kept === '' ? `${line}\n` : `${kept.replace(/\n*$/, '\n')}\n${line}\n`
    if (!options.dryRun) await write(dir, text, {...metadata, status: verdict, verdict: record})
    return {...base, action: 'marked', metadata_status: verdict, notes_line: line, reason, status: verdict}
  }
  return options.dryRun ? work() : withWorkspaceLock(ws, work, {command: `mark ${located.name}`})
}

/** notes.md first, metadata.json last: metadata records what exp wrote, once it is there. */
async function write(dir: string, notes: string | undefined, metadata: Record<string, unknown>): Promise<void> {
  if (notes !== undefined) await writeFileAtomic(path.join(dir, NOTES_FILE), notes)
  await writeJsonAtomic(path.join(dir, METADATA_FILE), metadata)
}

async function readMetadata(ws: Workspace, dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, METADATA_FILE)
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ExpError(
      `${relativeToRoot(ws, file)} is not a JSON object; fix it by hand first (exp never overwrites it).`,
      {code: 'INVALID_METADATA'},
    )
  }
  return value as Record<string, unknown>
}

/** notes.md without the lines exp appended (those ending in the marker) and the blank line exp put before each. */
export function withoutMarkedLines(text: string): {kept: string; removed: string[]} {
  const lines = text.split('\n')
  const removed: string[] = []
  const out: string[] = []
  for (const line of lines) {
    if (line.trimEnd().endsWith(MARKER)) {
      removed.push(line)
      if (out.length > 0 && out.at(-1) === '') out.pop()
      continue
    }
    out.push(line)
  }
  return {kept: removed.length === 0 ? text : out.join('\n'), removed}
}

function isVerdict(value: unknown): value is VerdictRecord {
  return Boolean(value) && typeof value === 'object' && typeof (value as VerdictRecord).notes_line === 'string'
}

/** A verdict a person wrote in notes.md, with the line that says it. */
export interface NotesVerdict {
  verdict: 'success' | 'failed'
  line: number
  text: string
}

const STATUS_LINE = /^\s*(?:[-*]\s+)?(?:\*\*|__)?(status|result)(?:\*\*|__)?\s*:(.*)$/i
const SUCCESS = /[✓✔✅☑]/u
const FAILED = /[✗✘❌✕]/u

/**
 * The verdict a person wrote in notes.md: the last `Status:`/`Result:` line that holds ✓ or ✗ (not both).
 * Researchers already keep this convention; exp reads it rather than asking them to change. Lines inside fenced code
 * blocks (``` or ~~~) and HTML comments are examples or drafts, never a verdict.
 */
export function notesVerdict(text: string | undefined): NotesVerdict | undefined {
  if (text === undefined) return undefined
  let found: NotesVerdict | undefined
  // HTML comments are blanked (their line breaks kept, so line numbers stay right); fenced code blocks are skipped
  const lines = text.replace(/<!--[\s\S]*?(?:-->|$)/g, (c) => c.replace(/[^\n]/g, ' ')).split(/\r?\n/)
  let fence: string | undefined
  for (const [i, line] of lines.entries()) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (f && (fence === undefined || (f[1][0] === fence[0] && f[1].length >= fence.length))) {
      fence = fence === undefined ? f[1] : undefined
      continue
    }
    if (fence !== undefined) continue
    const m = STATUS_LINE.exec(line)
    if (!m) continue
    const ok = SUCCESS.test(m[2])
    const bad = FAILED.test(m[2])
    if (ok === bad) continue
    found = {line: i + 1, text: line.trim(), verdict: ok ? 'success' : 'failed'}
  }
  return found
}

/** metadata.json `status` as a verdict, when it is one. */
export function metadataVerdict(status: unknown): 'success' | 'failed' | undefined {
  if (typeof status !== 'string') return undefined
  const s = status.trim().toLowerCase()
  if (['success', 'succeeded', 'passed', 'pass', 'ok'].includes(s)) return 'success'
  if (['failed', 'failure', 'fail', 'error'].includes(s)) return 'failed'
  return undefined
}

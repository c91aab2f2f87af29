/**
 * The little markdown an `experiment_summary.md` needs: headings with their sections, pipe tables, and
 * `- Key: value` list items. A focused parser rather than a markdown library: the summaries are GitHub pipe tables
 * and bullet lists, and every refusal must name a line (a tokenizer's AST would need the same checks on top).
 */
export interface Section {
  level: number
  title: string
  /** 1-based line of the heading */
  line: number
  /** lines up to the next heading of any level */
  body: Array<{line: number; text: string}>
}

export interface Table {
  /** 1-based line of the header row */
  line: number
  headers: string[]
  rows: Array<{line: number; cells: string[]}>
}

export function sections(text: string): Section[] {
  const out: Section[] = []
  let fence = false
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (/^\s*(```|~~~)/.test(raw)) fence = !fence
    const m = fence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw)
    if (m) out.push({body: [], level: m[1].length, line: i + 1, title: m[2]})
    else if (out.length > 0) out.at(-1)!.body.push({line: i + 1, text: raw})
  }
  return out
}

/** Split one `| a | b |` row into trimmed cells (`\|` is a literal bar). */
export function splitRow(text: string): string[] {
  let s = text.trim()
  if (s.startsWith('|')) s = s.slice(1)
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1)
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'))
}

const isDelimiter = (cells: string[]) => cells.length > 0 && cells.every((c) => /^:?-{1,}:?$/.test(c))

/** The first pipe table in the lines; a ragged row is reported by the caller (cells.length ≠ headers.length). */
export function firstTable(lines: Array<{line: number; text: string}>): Table | undefined {
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].text.trim().startsWith('|')) continue
    const headers = splitRow(lines[i].text)
    if (!isDelimiter(splitRow(lines[i + 1].text))) continue
    const rows: Table['rows'] = []
    for (let j = i + 2; j < lines.length && lines[j].text.trim().startsWith('|'); j++)
      rows.push({cells: splitRow(lines[j].text), line: lines[j].line})
    return {headers, line: lines[i].line, rows}
  }
  return undefined
}

/** `- **Epochs**: 3`, `- Epochs: 3`, `* GPUs — 1` → key/value pairs (markup removed), in order. */
export function listItems(
  lines: Array<{line: number; text: string}>,
): Array<{key: string; value: string; line: number}> {
  const out: Array<{key: string; value: string; line: number}> = []
  for (const {line, text} of lines) {
    const m = /^\s*[-*+]\s+(.*)$/.exec(text)
    if (!m) continue
    const item = m[1].replace(/\*\*|__/g, '')
    const kv = /^([^:]+?)\s*:\s*(.*)$/.exec(item)
    if (kv) out.push({key: kv[1].trim(), line, value: stripCode(kv[2].trim())})
    else out.push({key: '', line, value: stripCode(item.trim())})
  }
  return out
}

export function stripCode(s: string): string {
  return s.replace(/^`([^`]*)`$/, '$1')
}

/** Tables for other programs and documents: CSV (csv-stringify, formulas escaped) and Markdown. */
export type Cell = string | number | null

export async function renderCsv(headers: string[], rows: Cell[][]): Promise<string> {
  const {stringify} = await import('csv-stringify/sync')
  // a value starting with = + - @ would run as a formula in a spreadsheet: csv-stringify quotes it away
  return stringify([headers, ...rows.map((row) => row.map((c) => (c === null ? '' : c)))], {escape_formulas: true})
}

export function renderMarkdownTable(headers: string[], rows: Cell[][]): string {
  const esc = (c: Cell) =>
    c === null ? '' : String(c).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
  const lines = [`| ${headers.map(esc).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`]
  for (const row of rows) lines.push(`| ${row.map(esc).join(' | ')} |`)
  return lines.join('\n')
}

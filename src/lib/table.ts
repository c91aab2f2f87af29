/** A plain text table: no colours, no box drawing, safe to pipe. Columns are padded to their widest cell. */
export function renderTable(headers: string[], rows: Array<Array<string | number | undefined | null>>): string {
  const cells = rows.map((row) => headers.map((_, i) => cellText(row[i])))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)))
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join('\n')
}

function cellText(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '-'
  if (typeof value === 'number') return formatNumber(value)
  return value.replace(/\s+/g, ' ')
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3)
  return value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')
}

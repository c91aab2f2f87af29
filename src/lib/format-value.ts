/** A config or metric value in a table cell: strings as they are, anything else as JSON, `(absent)` for none. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

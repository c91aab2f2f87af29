/**
 * How text output fits the person reading it: the terminal's width (COLUMNS when set, else the terminal's own;
 * unlimited when piped) and whether to colour (only on a terminal, never with NO_COLOR). Tables (lib/table) use both.
 */
export interface OutputStyle {
  /** the widest a line may be; undefined: unlimited */
  width?: number
  colour: boolean
  /** --wide: nothing is cut, not even a long reason */
  wide?: boolean
}

export function outputStyle(options: {wide?: boolean} = {}): OutputStyle {
  return {colour: colourEnabled(), wide: options.wide === true, width: options.wide ? undefined : terminalWidth()}
}

export function terminalWidth(): number | undefined {
  const fromEnv = Number.parseInt(process.env.COLUMNS ?? '', 10)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined
}

export function colourEnabled(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
}

/** Cut text to `max` characters, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return max <= 1 ? '…'.slice(0, max) : `${text.slice(0, max - 1)}…`
}

/** The one number rule for tables: integers whole, else 4 significant digits (exponent when tiny or huge). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3)
  return String(Number(value.toPrecision(4)))
}

/** A measured value in a message that compares it with a threshold: the table's form and, when it differs, the full one. */
export function formatMeasured(value: number): string {
  const short = formatNumber(value)
  return short === String(value) ? short : `${short} (${value})`
}

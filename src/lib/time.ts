/** The clock every service takes as a parameter, so tests can fix "now". */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()

/** A short human age: 45s, 12m, 5h, 3d, 11w. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.round(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.round(m / 60)
  if (h < 48) return `${h}h`
  const d = Math.round(h / 24)
  if (d < 14) return `${d}d`
  return `${Math.round(d / 7)}w`
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h) return `${h}h${String(m).padStart(2, '0')}m`
  if (m) return `${m}m${String(sec).padStart(2, '0')}s`
  return `${sec}s`
}

/** Local calendar date as YYYY-MM-DD. */
export function localDate(date: Date): string {
  const y = date.getFullYear()
  const mo = String(date.getMonth() + 1).padStart(2, '0')
  const d = String(date.getDate()).padStart(2, '0')
  return `${y}-${mo}-${d}`
}

/** `[YYYY-MM-DD HH:MM:SS]` in local time, the log format researchers already use. */
export function logStamp(date: Date): string {
  const hh = String(date.getHours()).padStart(2, '0')
  const mm = String(date.getMinutes()).padStart(2, '0')
  const ss = String(date.getSeconds()).padStart(2, '0')
  return `${localDate(date)} ${hh}:${mm}:${ss}`
}

/** A timestamp usable in a file name: 20250122T101500Z. */
export function fileStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

/** Epoch times accepted from a file's own numbers: 2000-01-01 to 2100-01-01, in seconds or milliseconds. */
const PLAUSIBLE_S = [946_684_800, 4_102_444_800] as const

/**
 * Parse a report's own time field: an ISO string, or epoch seconds/milliseconds in a plausible range (2000-2100);
 * any other number (20250102, a step count) is not a time.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const [from, to] = PLAUSIBLE_S
    if (value >= from && value < to) return value * 1000
    if (value >= from * 1000 && value < to * 1000) return value
    return undefined
  }
  if (typeof value === 'string' && value.trim()) {
    const t = Date.parse(value)
    return Number.isNaN(t) ? undefined : t
  }
  return undefined
}

/** Wait `ms`, or less when `signal` aborts first (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}

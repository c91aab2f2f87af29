import {EXIT, ExpError} from '../../errors.js'

// What vastai prints when it fails, classified into one-line errors (the shared vast.ai CLI contract, §0).
export const KEY_SUGGESTION =
  'vastai set api-key YOUR_KEY (or export VAST_API_KEY), with a key from https://cloud.vast.ai/manage-keys/'

export type VastErrorKind = 'auth' | 'offer-gone' | 'rate-limit' | 'not-found' | 'server' | 'output' | 'missing'

/** A failure reported by vastai, classified. Always an ExpError: one line, with the exit code it deserves. */
export class VastError extends ExpError {
  constructor(
    readonly kind: VastErrorKind,
    message: string,
    readonly status?: number,
    suggestion?: string,
  ) {
    super(message, {
      code: `VAST_${kind.toUpperCase().replace('-', '_')}`,
      exit: kind === 'auth' ? EXIT.auth : EXIT.failure,
      suggestion,
    })
    this.name = 'VastError'
  }
}

/** What one vastai call printed. */
export interface VastOutput {
  stdout: string
  stderr: string
  exitCode: number
}

/** How vastai reports an HTTP/server error (contract §0), or undefined when it reports none. */
export interface VastFailure {
  status: number
  msg: string
}

/**
 * Find vastai's error report in its output: with --raw one stderr line `{"error": true, "status_code": N, "msg": …}`;
 * without it `Failed with error N: msg` on stderr (the legacy CLI: `failed with error N: msg` on stdout).
 */
export function findFailure(out: Pick<VastOutput, 'stdout' | 'stderr'>): VastFailure | undefined {
  for (const line of out.stderr.split('\n')) {
    const text = line.trim()
    if (!text.startsWith('{') || !text.includes('"error"')) continue
    try {
      const value = JSON.parse(text) as {error?: unknown; msg?: unknown; status_code?: unknown; detail?: unknown}
      if (value.error === true || typeof value.error === 'string') {
        const msg =
          typeof value.msg === 'string'
            ? value.msg
            : typeof value.detail === 'string'
              ? value.detail
              : typeof value.error === 'string'
                ? value.error
                : ''
        return {msg, status: typeof value.status_code === 'number' ? value.status_code : 0}
      }
    } catch {
      // not JSON after all: keep looking
    }
  }
  const text = `${out.stderr}\n${out.stdout}`
  const m = /(?:^|\n)\s*failed with error (\d+):?\s*(.*)/i.exec(text)
  if (m) return {msg: m[2].trim(), status: Number(m[1])}
  return undefined
}

/** Turn vastai's error report into a VastError of the right kind. */
export function classifyFailure(failure: VastFailure, what: string): VastError {
  const {msg, status} = failure
  const lower = msg.toLowerCase()
  if (
    status === 401 ||
    lower.includes('auth_error') ||
    lower.includes('invalid user key') ||
    lower.includes('please log in')
  ) {
    return new VastError(
      'auth',
      `vast.ai refused the API key (${status || 'error'}: ${msg || 'unauthorized'}).`,
      status,
      KEY_SUGGESTION,
    )
  }
  if (lower.includes('no_such_ask') || lower.includes('3603'))
    return new VastError('offer-gone', `the offer is no longer available (${msg}).`, status)
  if (status === 429 || lower.includes('too frequent'))
    return new VastError('rate-limit', `vast.ai is rate-limiting requests (${msg || '429'}).`, status)
  if (status === 404 || lower.includes('no_such_instance') || lower.includes('not found'))
    return new VastError('not-found', `${what}: ${msg || 'not found'} (${status}).`, status)
  return new VastError(
    'server',
    `${what} failed: ${msg || '(no detail message supplied)'}${status ? ` (${status})` : ''}.`,
    status,
  )
}

/** The last meaningful line of a traceback or of free text, for a one-line error. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return lines.at(-1) ?? ''
}

/** `1.5.2` ≥ `1.1.0`? Missing parts count as 0; anything after the numbers (rc, dev) is ignored. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parse = (v: string) =>
    (/^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v) ?? []).slice(1, 4).map((x) => Number(x ?? 0))
  const a = parse(version)
  const b = parse(minimum)
  if (a.length === 0) return false
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] > b[i]
  }
  return true
}

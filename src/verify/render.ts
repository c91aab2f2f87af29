import {formatBytes} from '../archive/render.js'
import {EXIT} from '../errors.js'
import type {VerifyResult} from './verify.js'

/** What `exp verify` prints: a line per adoption and per problem, a summary for stderr, and the exit status. */
export function renderVerify(result: VerifyResult): {exit: number; lines: string[]; note: string} {
  const lines = (result.would_adopt ?? []).map((p) => `${p}: would be adopted (no manifest; nothing written)`)
  for (const c of result.checkpoints.filter((c) => c.adopted_now))
    lines.push(`${c.path}: adopted (${c.files} files, ${formatBytes(c.bytes)})`)
  lines.push(...result.problems)
  const corrupt = result.checkpoints.filter((c) => c.state !== 'committed').length
  const how = result.quick
    ? 'quick check'
    : `${formatBytes(result.hashed_bytes)} hashed in ${(result.duration_ms / 1000).toFixed(1)}s`
  const note = `${result.checkpoints.length} checkpoint${result.checkpoints.length === 1 ? '' : 's'}: ${result.checkpoints.length - corrupt} good, ${corrupt} with problems (${how}).`
  return {exit: result.problems.length > 0 ? EXIT.failure : EXIT.ok, lines, note}
}

/** `hashing 1.2 GB / 4.0 GB (850 MB/s)` rewritten in place on stderr, a terminal only. */
export function hashingProgress(): {done: () => void; update: (bytes: number, total: number) => void} {
  const started = Date.now()
  let done = 0
  let last = 0
  return {
    done: () => process.stderr.write('\r\u001B[K'),
    update: (bytes: number, total: number) => {
      done += bytes
      const now = Date.now()
      if (now - last < 100) return
      last = now
      const rate = done / Math.max(0.001, (now - started) / 1000)
      process.stderr.write(`\r\u001B[Khashing ${formatBytes(done)} / ${formatBytes(total)} (${formatBytes(rate)}/s)`)
    },
  }
}

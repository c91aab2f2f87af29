import {EXIT} from '../errors.js'
import type {RunGraphResult} from './runner.js'

/** The arguments a detached `exp graph run` is started with: the same workers, backend and node limit. */
export function detachArgs(f: {workers: number; backend?: string; 'max-nodes'?: number}): string[] {
  return [
    '--workers',
    String(f.workers),
    ...(f.backend ? ['--backend', f.backend] : []),
    ...(f['max-nodes'] ? ['--max-nodes', String(f['max-nodes'])] : []),
  ]
}

/** What a graph run did, in one line, and its exit code: interrupted (Ctrl-C), failure (a node failed or was interrupted). */
export function graphRunOutcome(result: RunGraphResult): {line: string; exit?: number} {
  if (result.dry_run)
    return {
      line:
        result.would_claim.length > 0
          ? `Would claim, in order: ${result.would_claim.join(', ')}.`
          : 'Nothing is runnable now.',
    }
  const done = result.ran.filter((r) => r.status === 'completed').length
  const line = `Ran ${result.ran.length} node(s): ${done} completed; graph version ${result.version}.`
  if (result.interrupted) return {exit: EXIT.interrupted, line}
  if (result.ran.some((r) => r.status === 'failed' || r.status === 'interrupted')) return {exit: EXIT.failure, line}
  return {line}
}

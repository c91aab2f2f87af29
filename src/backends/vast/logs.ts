import type {RunRecord} from '../../runs/record.js'
import {VastCli} from './cli.js'
import {currentAttempt, vastData} from './state.js'

/** What a live vast instance has printed so far (its container log: the onstart script's output). */
export interface InstanceOutput {
  instance_id: number
  /** the last lines, as `vastai logs ID --tail N` printed them (blank lines collapsed; the key blanked out) */
  text?: string
  /** why there is no text: the logs were not ready, the instance is gone… */
  error?: string
}

/**
 * `vastai logs <id> --tail N` for the run's current instance (the shared vast contract, section 4): plain text,
 * no JSON mode; "not ready" is an error, not an empty log. Undefined when the run has no instance.
 */
export async function instanceOutput(
  record: RunRecord,
  options: {env?: NodeJS.ProcessEnv; tail: number},
): Promise<InstanceOutput | undefined> {
  const id =
    record.backend === 'vast' && record.backend_data ? currentAttempt(vastData(record))?.instance_id : undefined
  if (id === undefined) return undefined
  const cli = new VastCli({env: options.env ?? process.env})
  try {
    const {output} = await cli.run(['logs', String(id), '--tail', String(options.tail)], {what: `vastai logs ${id}`})
    return {instance_id: id, text: cli.redact(output.stdout).replace(/\n+$/, '')}
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {error: cli.redact(message), instance_id: id}
  }
}

/** The lines of `next` not already printed from `previous` (the tail window slides: match the overlap). */
export function newLines(previous: string[], next: string[]): string[] {
  for (let k = Math.min(previous.length, next.length); k > 0; k--) {
    let same = true
    for (let i = 0; i < k && same; i++) same = previous[previous.length - k + i] === next[i]
    if (same) return next.slice(k)
  }
  return next
}

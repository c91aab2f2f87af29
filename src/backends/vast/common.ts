import {runDir, type RunRecord} from '../../runs/record.js'
import type {BackendContext} from '../backend.js'
import {appendLaunchLog, type LaunchLogEntry, launchLogFile} from '../../launch/launch-log.js'
import {VastCli, VastError} from './cli.js'
import {formatPrice, type OfferChoice, type VastOptions} from './offers.js'

/** What the vast.ai backend's parts share: file names, the CLI for a context, the launch.log entry, one step's input. */
export const ONSTART_FILE = 'onstart.sh'
export const JOB_FILE = 'job.sh'
export const REMOTE_LOCAL_DIR = 'remote'

export function cliFor(context: BackendContext): VastCli {
  return new VastCli({env: context.env ?? process.env, log: context.log})
}

export function labelFor(experiment: string, runId: string): string {
  return `exp-${experiment}-${runId}`
}

export function createArgs(offerId: number, options: VastOptions, onstartFile: string, label: string): string[] {
  return [
    'create',
    'instance',
    String(offerId),
    '--image',
    options.image,
    '--disk',
    String(options.disk),
    '--onstart',
    onstartFile,
    '--label',
    label,
    '--cancel-unavail',
  ]
}

export async function log(experimentDir: string, runId: string, entry: LaunchLogEntry, now: Date): Promise<void> {
  await appendLaunchLog(launchLogFile(runDir(experimentDir, runId)), entry, now)
}

export function offerText(o: OfferChoice): string {
  const where = o.geolocation ? `, ${o.geolocation}` : ''
  const rel = o.reliability === null ? '' : `, reliability ${o.reliability}`
  return `${o.num_gpus > 1 ? `${o.num_gpus}x ` : ''}${o.gpu} at ${formatPrice(o.dph_total)} (machine ${o.machine_id ?? '?'}${rel}${where})`
}

/** One run being acted on: its record, where it lives, the CLI and the context. */
export interface Step {
  experimentDir: string
  record: RunRecord
  cli: VastCli
  context: BackendContext
}

/** A refused API key stops everything at once: no retry, no next offer can succeed with it. */
export function isAuthError(error: unknown): boolean {
  return error instanceof VastError && error.kind === 'auth'
}

export function rowsById(rows: Record<string, unknown>[]): Map<number, Record<string, unknown>> {
  return new Map(rows.filter((r) => typeof r.id === 'number').map((r) => [r.id as number, r]))
}

import {existsSync} from 'node:fs'
import path from 'node:path'

import {resolveTarget, type Target} from '../experiments/resolve.js'
import type {SweepLaunchOptions, SweepLaunchResult} from '../sweeps/launch-types.js'
import {SWEEP_FILE} from '../sweeps/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {launchExperiment, type LaunchResult} from './launch.js'
import {withStopSignals} from './signals.js'

export interface LaunchTargetOptions extends Omit<SweepLaunchOptions, 'io'> {
  /** where a single foreground launch streams the engines' output (sweeps never stream: they print transitions) */
  stream?: (chunk: string) => void
}

/**
 * `exp launch NAME`: a whole sweep goes through launchSweep, anything else through launchExperiment. A foreground
 * launch turns SIGINT/SIGTERM/SIGHUP into an abort, so the runs are recorded as interrupted before exp exits. The
 * sweep launcher (and the scan and classification it uses) is loaded only for a sweep.
 */
export async function launchTarget(
  ws: Workspace,
  options: LaunchTargetOptions,
): Promise<LaunchResult | SweepLaunchResult> {
  const {stream, ...rest} = options
  const target = await resolveTarget(ws, options.name).catch(() => undefined)
  const launchSweep = isSweep(ws, target) ? (await import('../sweeps/launch.js')).launchSweep : undefined
  const launch = (signal?: AbortSignal): Promise<LaunchResult | SweepLaunchResult> =>
    launchSweep
      ? launchSweep(ws, {...rest, io: {signal}})
      : launchExperiment(ws, {...rest, io: {output: stream, signal}, target})
  const foreground = !options.detach && !options.dryRun
  return foreground ? (await withStopSignals((signal) => launch(signal))).result : launch()
}

/** Is the target a whole sweep (an experiment with variants, not `EXP/V`)? Launch then goes through launchSweep. */
function isSweep(ws: Workspace, target: Target | undefined): boolean {
  if (!target || target.variant || target.location !== 'experiments') return false
  return existsSync(path.join(ws.paths.experiments, target.name, SWEEP_FILE))
}

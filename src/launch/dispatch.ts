import {isSweepLaunch, launchSweep, type SweepLaunchOptions, type SweepLaunchResult} from '../sweeps/launch.js'
import type {Workspace} from '../workspace/workspace.js'
import {launchExperiment, type LaunchResult} from './launch.js'
import {withStopSignals} from './signals.js'

export interface LaunchTargetOptions extends Omit<SweepLaunchOptions, 'io'> {
  /** where a single foreground launch streams the engines' output (sweeps never stream: they print transitions) */
  stream?: (chunk: string) => void
}

/**
 * `exp launch NAME`: a whole sweep goes through launchSweep, anything else through launchExperiment. A foreground
 * launch turns SIGINT/SIGTERM/SIGHUP into an abort, so the runs are recorded as interrupted before exp exits.
 */
export async function launchTarget(
  ws: Workspace,
  options: LaunchTargetOptions,
): Promise<LaunchResult | SweepLaunchResult> {
  const {stream, ...rest} = options
  const sweep = await isSweepLaunch(ws, options.name)
  const launch = (signal?: AbortSignal): Promise<LaunchResult | SweepLaunchResult> =>
    (sweep ? launchSweep : launchExperiment)(ws, {...rest, io: {output: sweep ? undefined : stream, signal}})
  const foreground = !options.detach && !options.dryRun
  return foreground ? (await withStopSignals((signal) => launch(signal))).result : launch()
}

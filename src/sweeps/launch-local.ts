import {spawn} from 'node:child_process'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {EXP_BIN} from '../backends/local-supervisor.js'
import {launchExperiment} from '../launch/launch.js'
import type {Workspace} from '../workspace/workspace.js'
import type {VariantChoice} from './launch-select.js'
import type {SweepLaunchOptions, SweepLaunchResult, SweepVariantResult} from './launch-types.js'

/** The background worker's output, in the sweep's folder. */
export const SWEEP_WORKER_LOG = 'sweep-launch.log'

/**
 * Run the chosen variants, at most `jobs` at once, each as a single launch (its own run, recorded as `exp launch
 * EXP/V` records it). One line per transition and a "3 running, 2 done, 3 queued" line after each; when `signal`
 * aborts (Ctrl-C) every running variant is interrupted and no further one starts. Used by local and vast.ai
 * (vast: each variant rents its own instance; up to `jobs` instances at once).
 */
export async function launchInPool(
  ws: Workspace,
  todo: VariantChoice[],
  options: SweepLaunchOptions & {jobs: number},
  base: SweepLaunchResult,
): Promise<SweepLaunchResult> {
  if (options.detach && !options.dryRun && (options.backend ?? ws.settings.backends.default) === 'local')
    return detachSweep(ws, todo, options, base)
  const signal = options.io?.signal
  const results = new Map<string, SweepVariantResult>(base.variants.map((v) => [v.variant, v]))
  let next = 0
  let running = 0
  let done = 0
  // a dry run starts nothing: no transitions to report
  const say = (line: string) => !options.dryRun && options.log(line)
  const counts = () => say(`${running} running, ${done} done, ${todo.length - next} queued`)
  const one = async (c: VariantChoice) => {
    const entry = results.get(c.variant)!
    try {
      const r = await launchExperiment(ws, {
        ...options,
        io: {signal},
        log: (line) => options.log(`${c.variant}: ${line}`),
        name: c.name,
      })
      Object.assign(entry, {run_id: r.run_id, state: r.record.state})
      base.commands.push(...r.commands)
      say(`${c.variant}: ${r.record.state}${r.failure ? ` (${r.failure.stage} ${r.failure.reason})` : ''}`)
    } catch (error) {
      entry.error = messageOf(error)
      options.log(`${c.variant}: not launched: ${entry.error}`)
    }
  }
  const worker = async () => {
    while (next < todo.length && !signal?.aborted) {
      const c = todo[next++]
      running++
      say(`${c.variant}: started`)
      counts()
      await one(c)
      running--
      done++
      counts()
    }
  }
  await Promise.all(Array.from({length: Math.min(options.jobs, todo.length)}, () => worker()))
  const variants = [...results.values()]
  return {...base, interrupted: Boolean(signal?.aborted) || variants.some((v) => v.state === 'interrupted'), variants}
}

/** `--detach`: the whole sweep goes to ONE background `exp launch` (its output in the sweep's sweep-launch.log). */
async function detachSweep(
  ws: Workspace,
  todo: VariantChoice[],
  options: SweepLaunchOptions & {jobs: number},
  base: SweepLaunchResult,
): Promise<SweepLaunchResult> {
  const sweepDir = path.dirname(todo[0].dir)
  const argv = [
    EXP_BIN,
    'launch',
    base.experiment,
    '--backend',
    'local',
    '--jobs',
    String(options.jobs),
    '--root',
    ws.root,
    ...todo.flatMap((c) => ['--only', c.variant]),
  ]
  if (options.force) argv.push('--force')
  const handle = await fs.open(path.join(sweepDir, SWEEP_WORKER_LOG), 'a')
  let pid: number | undefined
  try {
    const child = spawn(process.execPath, argv, {
      detached: true,
      env: options.env ?? process.env,
      stdio: ['ignore', handle.fd, handle.fd],
    })
    child.on('error', () => {})
    child.unref()
    pid = child.pid
  } finally {
    await handle.close()
  }
  if (pid === undefined)
    throw new ExpError(`the background worker could not be started (${process.execPath} ${EXP_BIN}).`, {
      code: 'SUPERVISOR_FAILED',
    })
  options.log(
    `${todo.length} variant(s) handed to a background worker (pid ${pid}); its output: ${path.relative(ws.root, path.join(sweepDir, SWEEP_WORKER_LOG))}`,
  )
  return {...base, commands: [[process.execPath, ...argv]], worker_pid: pid}
}

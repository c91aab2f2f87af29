import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {displayCommand} from '../launch/engines.js'
import {resolveExperiment} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import {withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {parseSweep, SWEEP_FILE, type SweepRecord} from './record.js'
import {finishLog} from './scaffold.js'
import {runSetup, ScaffoldLog, setupArgv, setupTemplate, type SetupOutcome} from './setup.js'

export interface ResetupOptions {
  name: string
  only?: string[]
  now: Clock
  env?: NodeJS.ProcessEnv
  /** check the sweep and the variants and answer the command each would run; nothing runs, nothing is written */
  dryRun?: boolean
}

export interface ResetupResult {
  name: string
  variants: SetupOutcome[]
  failures: SetupOutcome[]
  dry_run: boolean
  /** with dryRun: the hook's command line in each chosen variant */
  would_run?: Array<{variant: string; command: string}>
}

/** Read an experiment's sweep.yaml (an error when it is not a sweep). */
export async function readSweepRecord(dir: string, name: string): Promise<SweepRecord> {
  const text = await fs.readFile(path.join(dir, SWEEP_FILE), 'utf8').catch(() => {
    throw new ExpError(`${name} is not a sweep (no ${SWEEP_FILE}).`, {code: 'NOT_A_SWEEP'})
  })
  const {error, record} = parseSweep(text)
  if (!record) throw new ExpError(`${name}/${SWEEP_FILE}: ${error}.`, {code: 'INVALID_SWEEP'})
  return record
}

/** `exp sweep setup NAME [--only V]`: run the setup hook again in some or all variants, under the workspace lock. */
export async function rerunSetup(ws: Workspace, options: ResetupOptions): Promise<ResetupResult> {
  if (!setupTemplate(ws)) throw new ExpError('exp.yaml has no engines.setup hook to run.', {code: 'NO_SETUP'})
  const located = await resolveExperiment(ws, options.name, 'experiments')
  const dir = path.join(ws.paths.experiments, located.name)
  const choose = async () => {
    const record = await readSweepRecord(dir, located.name)
    const all = record.variants.map((v) => v.name)
    const unknown = (options.only ?? []).filter((v) => !all.includes(v))
    if (unknown.length > 0)
      throw new ExpError(`${located.name} has no variant ${unknown.join(', ')} (variants: ${all.join(', ')}).`, {
        code: 'NOT_FOUND',
      })
    return {chosen: options.only?.length ? all.filter((v) => options.only!.includes(v)) : all, record}
  }
  if (options.dryRun) {
    const {chosen} = await choose()
    const would_run = chosen.map((variant) => ({
      command: displayCommand(setupArgv(ws, setupTemplate(ws)!, dir, variant, options.env)),
      variant,
    }))
    return {
      dry_run: true,
      failures: [],
      name: located.name,
      variants: chosen.map((variant) => ({state: 'none', variant})),
      would_run,
    }
  }
  return withWorkspaceLock(ws, async () => {
    const {chosen, record} = await choose()
    const log = new ScaffoldLog(options.now)
    const variants = await runSetup(ws, dir, chosen, log, options.env)
    for (const o of variants)
      Object.assign(
        record.variants.find((v) => v.name === o.variant)!,
        {setup: o.state, setup_error: o.error},
      )
    for (const v of record.variants) if (v.setup_error === undefined) delete v.setup_error
    await finishLog(dir, record, variants, log, true)
    return {dry_run: false, failures: variants.filter((v) => v.state === 'failed'), name: located.name, variants}
  })
}

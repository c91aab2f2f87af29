import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {CONFIG_FILE} from '../experiments/scan.js'
import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import {sha256File} from '../lib/hash.js'
import {isLive, type RunRecord} from '../runs/record.js'

/** One variant of a sweep and what this launch does with it. */
export interface VariantChoice {
  variant: string
  /** `EXP/V`, as launch addresses it */
  name: string
  dir: string
  /** sha256 of its config.yaml now */
  sha256: string | null
  action: 'launch' | 'skip'
  why: string
}

/**
 * Which variants a sweep launch runs: every variant without a completed run of its CURRENT config (the config's
 * sha256 is recorded in each run.json), so re-running is safe and interrupted work resumes; `only` picks
 * variants; `force` relaunches all, live ones included. A variant with a live run is skipped (it is running).
 */
export async function chooseVariants(
  sweep: ExperimentSnapshot,
  options: {only?: string[]; force?: boolean},
): Promise<VariantChoice[]> {
  const variants = sweep.variants ?? []
  const names = variants.map((v) => path.basename(v.dir))
  const unknown = (options.only ?? []).filter((n) => !names.includes(n))
  if (unknown.length > 0) {
    throw new ExpError(
      `${sweep.name} has no variant ${unknown.map((n) => `"${n}"`).join(', ')} (variants: ${names.join(', ')}).`,
      {code: 'NOT_FOUND', exit: EXIT.usage},
    )
  }
  const out: VariantChoice[] = []
  for (const [i, v] of variants.entries()) {
    const variant = names[i]
    const base = {dir: v.dir, name: `${sweep.name}/${variant}`, variant}
    if (options.only?.length && !options.only.includes(variant)) {
      out.push({...base, action: 'skip', sha256: null, why: 'not in --only'})
      continue
    }
    const sha = v.hasConfig ? await sha256File(path.join(v.dir, CONFIG_FILE)).catch(() => null) : null
    out.push({...base, sha256: sha, ...decide(v.runs, sha, Boolean(options.force), v.hasConfig)})
  }
  return out
}

function decide(
  runs: RunRecord[],
  sha: string | null,
  force: boolean,
  hasConfig: boolean,
): Pick<VariantChoice, 'action' | 'why'> {
  if (!hasConfig) return {action: 'skip', why: `no ${CONFIG_FILE}`}
  if (force) return {action: 'launch', why: '--force'}
  const live = runs.find((r) => isLive(r.state))
  if (live) return {action: 'skip', why: `run ${live.run_id} is ${live.state}`}
  const done = runs.find((r) => r.state === 'completed' && r.config_sha256 !== undefined && r.config_sha256 === sha)
  if (done) return {action: 'skip', why: `completed in run ${done.run_id} with this config`}
  const last = runs[0]
  if (!last) return {action: 'launch', why: 'never run'}
  if (last.state === 'completed') return {action: 'launch', why: 'its config changed since the last completed run'}
  return {action: 'launch', why: `last run ${last.state}`}
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {parseSweep, SWEEP_FILE} from '../sweeps/record.js'
import type {Workspace} from '../workspace/workspace.js'
import {splitDirName} from './naming.js'
import type {Location} from './snapshot.js'

export interface Located {
  name: string
  location: Location
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, {withFileTypes: true})
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** Every experiment directory name, active and archived (one readdir each, no walk). */
export async function listExperimentNames(ws: Workspace, where: Location | 'all' = 'all'): Promise<Located[]> {
  const out: Located[] = []
  if (where !== 'archive') for (const name of await listDirs(ws.paths.experiments)) out.push({location: 'experiments', name})
  if (where !== 'experiments') for (const name of await listDirs(ws.paths.archive)) out.push({location: 'archive', name})
  return out
}

/**
 * What a person typed → one experiment: the full directory name, or the name without its date when that is unique.
 * An ambiguous name lists the matches; an unknown one says so.
 */
export function resolveName(candidates: Located[], query: string, what = 'experiment'): Located {
  const exact = candidates.filter((c) => c.name === query)
  const matches = exact.length > 0 ? exact : candidates.filter((c) => splitDirName(c.name).slug === query)
  if (matches.length === 1) return matches[0]
  if (matches.length === 0) {
    throw new ExpError(`no ${what} named "${query}".`, {code: 'NOT_FOUND', suggestion: 'exp list --archived'})
  }
  const names = matches.map((m) => (m.location === 'archive' ? `${m.name} (archived)` : m.name)).join(', ')
  throw new ExpError(`"${query}" is ambiguous: ${names}. Use the full directory name.`, {code: 'AMBIGUOUS'})
}

export async function resolveExperiment(ws: Workspace, query: string, where: Location | 'all' = 'all'): Promise<Located> {
  return resolveName(await listExperimentNames(ws, where), query)
}

/** What a person typed → an experiment, or one variant of a sweep when it reads `EXPERIMENT/VARIANT`. */
export interface Target extends Located {
  variant?: string
}

export async function resolveTarget(ws: Workspace, query: string, where: Location | 'all' = 'all'): Promise<Target> {
  const slash = query.indexOf('/')
  if (slash === -1) return resolveExperiment(ws, query, where)
  const located = await resolveExperiment(ws, query.slice(0, slash), where)
  const variant = query.slice(slash + 1)
  const base = located.location === 'experiments' ? ws.paths.experiments : ws.paths.archive
  const text = await fs.readFile(path.join(base, located.name, SWEEP_FILE), 'utf8').catch(() => undefined)
  const names = text === undefined ? undefined : parseSweep(text).record?.variants.map((v) => v.name)
  if (!names) throw new ExpError(`${located.name} is not a sweep (no readable ${SWEEP_FILE}), so "${query}" names nothing.`, {code: 'NOT_FOUND', suggestion: `exp show ${located.name}`})
  if (!names.includes(variant)) throw new ExpError(`${located.name} has no variant "${variant}" (variants: ${names.join(', ')}).`, {code: 'NOT_FOUND'})
  return {...located, variant}
}

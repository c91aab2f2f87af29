import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {closest} from '../lib/closest.js'
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
  const byPath = fromPath(candidates, query)
  if (byPath) return byPath.located
  const exact = candidates.filter((c) => c.name === query)
  const matches = exact.length > 0 ? exact : candidates.filter((c) => splitDirName(c.name).slug === query)
  if (matches.length === 1) return matches[0]
  if (matches.length === 0) {
    const near = closest(query, candidates.flatMap((c) => [c.name, splitDirName(c.name).slug]))
    const hint = near ? ` Did you mean "${near}"?` : ''
    throw new ExpError(`no ${what} named "${query}".${hint}`, {code: 'NOT_FOUND', suggestion: 'exp list --archived'})
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

/**
 * A path where a name is expected (`experiments/2026-…-lat2/`, `.` inside an experiment or a variant folder, `./x`,
 * an absolute path): the experiment is the first folder on the path that is one, the variant the folder inside it.
 */
function fromPath(candidates: Located[], query: string): {located: Located; variant?: string} | undefined {
  const pathLike = query === '.' || query === '..' || /^\.\.?\//.test(query) || path.isAbsolute(query) || (query.includes('/') && existsSync(query))
  if (!pathLike) return undefined
  const parts = path.resolve(query).split(path.sep)
  for (const [i, part] of parts.entries()) {
    const hits = candidates.filter((c) => c.name === part)
    if (hits.length === 0) continue
    const inArchive = /archive/.test(parts[i - 1] ?? '')
    return {located: hits.find((h) => (h.location === 'archive') === inArchive) ?? hits[0], variant: parts[i + 1]}
  }
  return undefined
}

export async function resolveTarget(ws: Workspace, query: string, where: Location | 'all' = 'all'): Promise<Target> {
  const candidates = await listExperimentNames(ws, where)
  const byPath = fromPath(candidates, query)
  if (byPath) {
    const names = byPath.variant === undefined ? undefined : await variantNames(ws, byPath.located)
    return names?.includes(byPath.variant!) ? {...byPath.located, variant: byPath.variant} : byPath.located
  }
  const slash = query.indexOf('/')
  if (slash === -1) return resolveName(candidates, query)
  const located = resolveName(candidates, query.slice(0, slash))
  const variant = query.slice(slash + 1)
  const names = await variantNames(ws, located)
  if (!names) throw new ExpError(`${located.name} is not a sweep (no readable ${SWEEP_FILE}), so "${query}" names nothing.`, {code: 'NOT_FOUND', suggestion: `exp show ${located.name}`})
  if (!names.includes(variant)) throw new ExpError(`${located.name} has no variant "${variant}" (variants: ${names.join(', ')}).`, {code: 'NOT_FOUND'})
  return {...located, variant}
}

/** A sweep's variant names, or undefined when the experiment is not a (readable) sweep. */
async function variantNames(ws: Workspace, located: Located): Promise<string[] | undefined> {
  const base = located.location === 'experiments' ? ws.paths.experiments : ws.paths.archive
  const text = await fs.readFile(path.join(base, located.name, SWEEP_FILE), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : parseSweep(text).record?.variants.map((v) => v.name)
}

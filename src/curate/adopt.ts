import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {validateDate, validateName} from '../experiments/naming.js'
import {sha256} from '../lib/hash.js'
import {packageVersion} from '../lib/package.js'
import {type Clock, localDate} from '../lib/time.js'
import {splitProvenance} from '../promote/promote.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {adoptFile, adoptId, type AdoptPoint, journalStuck, stagingFor} from './adopt-step.js'
import {productionDir} from './configs.js'

/**
 * `exp adopt`: configs that piled up in configs/ become dated experiments, `experiments/<date>-migration-<name>/`
 * with the file as config.yaml (moved: byte-identical, same inode), a notes.md and a metadata.json that say where it
 * came from. Refused: the base config (exp new needs it), files with exp's provenance header (production configs;
 * --force adopts them), and anything whose experiment name is taken. Journaled and crash-safe (adopt-step.ts).
 */
export interface AdoptOptions {
  files?: string[]
  /** a glob over the file names in the production folder, e.g. `*_experimental*` */
  pattern?: string
  date?: string
  force?: boolean
  dryRun?: boolean
  now: Clock
  cwd: string
  onItem?: (item: AdoptItem) => void
  /** tests: stop at a point of each step */
  at?: (point: AdoptPoint) => void
}

export type AdoptOutcome = 'adopted' | 'would-adopt' | 'refused' | 'skipped' | 'failed'

export interface AdoptItem {
  file: string
  experiment: string
  outcome: AdoptOutcome
  reason?: string
  sha256?: string
}

export interface AdoptResult {
  date: string
  dry_run: boolean
  items: AdoptItem[]
  summary: Record<AdoptOutcome, number>
  recovered: string[]
}

interface Planned extends AdoptItem {
  abs: string
  mtimeMs: number
  text: string
}

export async function adoptConfigs(ws: Workspace, options: AdoptOptions): Promise<AdoptResult> {
  const date = options.date ?? localDate(options.now())
  validateDate(date)
  if (options.dryRun) return result(date, true, await plan(ws, options, date), [])
  return withWorkspaceLock(
    ws,
    async (recovered) => {
      const items: AdoptItem[] = []
      // planned again under the lock: what another process moved a moment ago is seen
      for (const p of await plan(ws, options, date)) {
        const item: AdoptItem = {
          experiment: p.experiment,
          file: p.file,
          outcome: p.outcome,
          reason: p.reason,
          sha256: p.sha256,
        }
        if (p.outcome === 'would-adopt') {
          try {
            await adoptOne(ws, p, date, options)
            item.outcome = 'adopted'
          } catch (error) {
            Object.assign(item, {outcome: 'failed', reason: messageOf(error)})
          }
        }
        items.push(item)
        options.onItem?.(item)
      }
      return result(date, false, items, recovered)
    },
    {command: 'adopt'},
  )
}

function result(date: string, dryRun: boolean, items: AdoptItem[], recovered: string[]): AdoptResult {
  const summary: Record<AdoptOutcome, number> = {adopted: 0, failed: 0, refused: 0, skipped: 0, 'would-adopt': 0}
  for (const i of items) summary[i.outcome]++
  return {
    date,
    dry_run: dryRun,
    items: items.map(({experiment, file, outcome, reason, sha256}) => ({experiment, file, outcome, reason, sha256})),
    recovered,
    summary,
  }
}

async function plan(ws: Workspace, options: AdoptOptions, date: string): Promise<Planned[]> {
  const dir = productionDir(ws)
  const named = (options.files ?? []).map((f) => ({abs: locate(f, dir, options.cwd), fromPattern: false}))
  if (options.pattern) {
    const {default: fg} = await import('fast-glob')
    const matched = await fg(options.pattern, {cwd: dir, deep: 1, dot: false, onlyFiles: true})
    for (const name of matched.filter((n) => /\.ya?ml$/i.test(n)).sort())
      named.push({abs: path.join(dir, name), fromPattern: true})
  }
  if (named.length === 0)
    throw new ExpError(
      options.pattern
        ? `no YAML file in ${relativeToRoot(ws, dir)}/ matches "${options.pattern}".`
        : 'name the files to adopt, or give --pattern.',
      {code: 'NOTHING_TO_ADOPT'},
    )
  const base = path.resolve(ws.root, ws.settings.base_config)
  const taken = new Set<string>()
  const out: Planned[] = []
  for (const {abs, fromPattern} of named) {
    const stem = path.basename(abs).replace(/\.ya?ml$/i, '')
    const experiment = `${date}-migration-${stem}`
    const p: Planned = {abs, experiment, file: relativeToRoot(ws, abs), mtimeMs: 0, outcome: 'would-adopt', text: ''}
    const refuse = (reason: string) => Object.assign(p, {outcome: fromPattern ? 'skipped' : 'refused', reason})
    const stat = await fs.stat(abs).catch(() => undefined)
    try {
      validateName(`migration-${stem}`)
    } catch (error) {
      refuse(messageOf(error))
    }
    if (p.reason) out.push(p)
    else if (!stat?.isFile()) out.push(refuse(stat ? 'not a regular file' : 'does not exist'))
    else if (!/\.ya?ml$/i.test(abs)) out.push(refuse('not a .yaml/.yml file'))
    else if (abs === base) out.push(refuse('it is the base config (base_config in exp.yaml); exp new needs it'))
    else if (isInside(abs, ws.paths.experiments) || isInside(abs, ws.paths.archive))
      out.push(refuse('it is already inside an experiment'))
    else if (
      taken.has(experiment) ||
      existsSync(path.join(ws.paths.experiments, experiment)) ||
      existsSync(path.join(ws.paths.archive, experiment))
    )
      out.push(refuse(`experiment ${experiment} already exists`))
    else if (await journalStuck(ws, experiment))
      out.push(refuse(`an earlier interrupted adopt of ${experiment} could not be completed; see .exp/journal/`))
    else {
      p.text = await fs.readFile(abs, 'utf8')
      p.mtimeMs = stat.mtimeMs
      p.sha256 = sha256(p.text)
      if (splitProvenance(p.text).provenance && !options.force)
        out.push(refuse("it has exp's provenance header (a promoted production config); --force adopts it anyway"))
      else out.push(p)
    }
    taken.add(experiment)
  }
  return out
}

function locate(file: string, dir: string, cwd: string): string {
  const here = path.resolve(cwd, file)
  if (existsSync(here) || file.includes('/')) return here
  return path.join(dir, file)
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

async function adoptOne(ws: Workspace, p: Planned, date: string, options: AdoptOptions): Promise<void> {
  const dst = path.join(ws.paths.experiments, p.experiment)
  const now = options.now()
  const modified = new Date(p.mtimeMs).toISOString()
  const adopted = {adopted_at: now.toISOString(), file_mtime: modified, from: p.file, sha256: p.sha256}
  const metadata = {
    schema: 1,
    name: p.experiment,
    slug: p.experiment.slice(date.length + 1),
    date,
    created_at: now.toISOString(),
    hypothesis: null,
    adopted,
    config_sha256: p.sha256,
    exp_version: packageVersion(),
  }
  const notes = [
    `# ${p.experiment}`,
    '',
    `Migrated from configs/ by \`exp adopt\` on ${localDate(now)}.`,
    '',
    `Original: \`${p.file}\` (last changed ${modified}; sha256 ${p.sha256}).`,
    '',
    '## Hypothesis',
    '',
    '_Adopted, not planned: what was this config for?_',
    '',
    '## Results',
    '',
    `Status: unknown. Record what you know with \`exp mark ${p.experiment} --success\` (or --failed) \`--reason "why"\`.`,
    '',
  ].join('\n')
  await adoptFile(
    ws,
    {
      dst: relativeToRoot(ws, dst),
      id: adoptId(p.experiment),
      mtime_ms: p.mtimeMs,
      name: p.experiment,
      op: 'adopt',
      phase: 'adopt',
      pid: process.pid,
      schema: 1,
      src: relativeToRoot(ws, p.abs),
      staging: relativeToRoot(ws, stagingFor(dst)),
      started_at: now.toISOString(),
    },
    {metadata: JSON.stringify(metadata, null, 2) + '\n', notes},
    options.at,
  )
}

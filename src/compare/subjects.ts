import {existsSync, promises as fs, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {newestReport} from '../classify/classify.js'
import {parseConfigText} from '../config/config-file.js'
import {ExpError, messageOf} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {type Located, resolveExperiment} from '../experiments/resolve.js'
import {CONFIG_FILE, REPORTS_DIR} from '../experiments/scan.js'
import type {Clock} from '../lib/time.js'
import {splitProvenance} from '../promote/promote.js'
import {numericMetrics, parseReport, type Report} from '../reports/report.js'
import {readRun, runDir, runFile} from '../runs/record.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

/**
 * A subject: anything with a config that `exp diff` and `exp compare` can put side by side. One resolver turns
 * what a person typed into subjects, so every kind is compared the same way:
 * - an experiment: its config.yaml, the metrics of its newest report (the one classification uses), its status;
 * - a variant `EXP/VARIANT`: the variant folder's config.yaml and reports/ (a sweep's point);
 * - a run `EXP@RUN-ID`: the config.yaml the launch kept in runs/<run-id>/, and that run's report;
 * - a config file: a path, or a name in the production folder (its provenance header is not part of the config).
 */
export type SubjectKind = 'experiment' | 'variant' | 'run' | 'config'

export interface Subject {
  kind: SubjectKind
  /** how it is shown: the experiment's directory name, EXP/VARIANT, EXP@RUN-ID, or the workspace-relative file */
  label: string
  /** the config file read, workspace-relative */
  config_path: string
  config: Record<string, unknown>
  /** numeric metrics of its report ({} without one) */
  metrics: Record<string, number>
  /** the report the metrics come from, workspace-relative */
  report: string | null
  /** experiments: classification status; variants: null; runs: the run state; configs: null */
  status: string | null
}

export interface ResolveOptions {
  now: Clock
  cwd: string
}

type Ref =
  | {kind: 'experiment'; query: string; located: Located}
  | {kind: 'variant'; query: string; located: Located; variant: string}
  | {kind: 'run'; query: string; located: Located; runId: string}
  | {kind: 'config'; query: string; file: string}

/** Resolve every query (in order) to a subject; the experiments involved are scanned and classified once. */
export async function resolveSubjects(ws: Workspace, queries: string[], options: ResolveOptions): Promise<Subject[]> {
  const refs: Ref[] = []
  for (const query of queries) refs.push(await parseRef(ws, query, options.cwd))
  const names = [...new Set(refs.flatMap((r) => (r.kind === 'config' ? [] : [r.located.name])))]
  const classified =
    names.length === 0 ? [] : await classifyWorkspace(ws, {location: 'all', now: options.now, only: names})
  const byName = new Map(classified.map((c) => [`${c.snapshot.location}/${c.snapshot.name}`, c]))
  const out: Subject[] = []
  for (const ref of refs) {
    if (ref.kind === 'config') {
      out.push(await configSubject(ws, ref.file))
      continue
    }
    const item = byName.get(`${ref.located.location}/${ref.located.name}`)
    if (!item) throw new ExpError(`${ref.located.name} disappeared while it was read.`, {code: 'NOT_FOUND'})
    const dir = item.snapshot.dir
    if (ref.kind === 'experiment' && item.snapshot.variants) {
      // a sweep: its variants are the subjects (variants × varying parameters × metrics)
      for (const v of item.snapshot.variants) out.push(await variantSubject(ws, item, ref.located.name, v.name))
    } else if (ref.kind === 'experiment') {
      const report = newestReport(item.snapshot)
      out.push({
        ...(await readConfig(ws, path.join(dir, CONFIG_FILE), ref.located.name)),
        ...reportPart(ws, report),
        kind: 'experiment',
        label: ref.located.name,
        status: item.classification.status,
      })
    } else if (ref.kind === 'variant') {
      out.push(await variantSubject(ws, item, ref.located.name, ref.variant))
    } else {
      out.push(await runSubject(ws, dir, ref.located.name, ref.runId))
    }
  }
  return out
}

/** A variant: its config.yaml and newest report; its status (the gate's verdict) when sweep.yaml lists it. */
async function variantSubject(ws: Workspace, item: Classified, name: string, variant: string): Promise<Subject> {
  const vdir = path.join(item.snapshot.dir, variant)
  const label = `${name}/${variant}`
  const i = item.snapshot.variants?.findIndex((v) => v.name === variant) ?? -1
  const report =
    i === -1
      ? newestReport({reports: readReports(path.join(vdir, REPORTS_DIR))})
      : newestReport(item.snapshot.variants![i])
  const status = i === -1 ? null : item.classification.variants![i].classification.status
  return {
    ...(await readConfig(ws, path.join(vdir, CONFIG_FILE), label)),
    ...reportPart(ws, report),
    kind: 'variant',
    label,
    status,
  }
}

async function parseRef(ws: Workspace, query: string, cwd: string): Promise<Ref> {
  const at = query.lastIndexOf('@')
  if (at > 0)
    return {kind: 'run', located: await resolveExperiment(ws, query.slice(0, at)), query, runId: query.slice(at + 1)}
  const file = configFile(ws, query, cwd)
  if (file) return {file, kind: 'config', query}
  const slash = query.indexOf('/')
  if (slash > 0 && slash < query.length - 1 && !query.slice(slash + 1).includes('/')) {
    const located = await resolveExperiment(ws, query.slice(0, slash))
    const variant = query.slice(slash + 1)
    const base = located.location === 'experiments' ? ws.paths.experiments : ws.paths.archive
    if (!existsSync(path.join(base, located.name, variant, CONFIG_FILE))) {
      throw new ExpError(`${located.name} has no variant "${variant}" (no ${variant}/${CONFIG_FILE}).`, {
        code: 'NOT_FOUND',
        suggestion: `exp show ${located.name}`,
      })
    }
    return {kind: 'variant', located, query, variant}
  }
  try {
    return {kind: 'experiment', located: await resolveExperiment(ws, query), query}
  } catch (error) {
    const named = path.join(ws.paths.configs, query)
    if (existsSync(`${named}.yaml`)) return {file: `${named}.yaml`, kind: 'config', query}
    throw error
  }
}

/** A config file a person named: a YAML path (relative to cwd or the workspace), or a file name in configs/. */
function configFile(ws: Workspace, query: string, cwd: string): string | undefined {
  const looksLikeFile = /\.ya?ml$/i.test(query) || query.includes(path.sep)
  if (!looksLikeFile) return undefined
  const candidates = [path.resolve(cwd, query), path.resolve(ws.root, query), path.join(ws.paths.configs, query)]
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile())
  if (!found && /\.ya?ml$/i.test(query)) {
    throw new ExpError(
      `config file "${query}" not found (looked in ${cwd}, the workspace and ${relativeToRoot(ws, ws.paths.configs)}/).`,
      {code: 'NO_CONFIG', suggestion: 'exp configs'},
    )
  }
  return found
}

async function readConfig(
  ws: Workspace,
  file: string,
  label: string,
): Promise<Pick<Subject, 'config' | 'config_path'>> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ExpError(`${label} has no config: ${relativeToRoot(ws, file)} does not exist.`, {code: 'NO_CONFIG'})
    throw error
  }
  // a production file's provenance header is exp's comment, not part of the config
  const value = parseConfigText(splitProvenance(text).body, relativeToRoot(ws, file)).toJS()
  return {config: (value ?? {}) as Record<string, unknown>, config_path: relativeToRoot(ws, file)}
}

function reportPart(ws: Workspace, report: Report | undefined): Pick<Subject, 'metrics' | 'report'> {
  return {metrics: numericMetrics(report), report: report ? relativeToRoot(ws, report.path) : null}
}

function readReports(dir: string): Report[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'))
  } catch {
    return []
  }
  return names
    .map((n) => readReport(path.join(dir, n)))
    .filter((r): r is Report => r !== undefined)
    .sort((a, b) => b.time - a.time)
}

function readReport(file: string): Report | undefined {
  try {
    // small report files, read synchronously like the scan does
    return parseReport(file, readFileSync(file, 'utf8'), statSync(file).mtimeMs, 'experiment')
  } catch {
    return undefined
  }
}

async function configSubject(ws: Workspace, file: string): Promise<Subject> {
  const rel = relativeToRoot(ws, file)
  return {...(await readConfig(ws, file, rel)), kind: 'config', label: rel, metrics: {}, report: null, status: null}
}

async function runSubject(ws: Workspace, dir: string, name: string, runId: string): Promise<Subject> {
  const label = `${name}@${runId}`
  let record
  try {
    record = await readRun(runFile(dir, runId))
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new ExpError(
      missing ? `${name} has no run ${runId}.` : `${label}: run.json is unreadable (${messageOf(error)}).`,
      {code: 'NOT_FOUND', suggestion: `exp runs ${name}`},
    )
  }
  const kept = path.join(runDir(dir, runId), CONFIG_FILE)
  if (!existsSync(kept)) {
    throw new ExpError(
      `run ${label} did not record its config (launched before exp kept a copy in runs/<run-id>/${CONFIG_FILE}).`,
      {code: 'NO_CONFIG'},
    )
  }
  const report = record.report ? readReport(path.join(dir, record.report)) : undefined
  return {
    ...(await readConfig(ws, kept, label)),
    ...reportPart(ws, report?.error ? undefined : report),
    kind: 'run',
    label,
    status: record.state,
  }
}

import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {displayPath, newestReport} from '../classify/classify.js'
import {parseConfigText} from '../config/config-file.js'
import {EXIT, ExpError, messageOf} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {slugOf} from '../experiments/naming.js'
import {resolveExperiment} from '../experiments/resolve.js'
import {CONFIG_FILE, METADATA_FILE} from '../experiments/scan.js'
import {writeFileAtomic, writeJsonAtomic} from '../lib/atomic.js'
import {sha256} from '../lib/hash.js'
import {type Clock, fileStamp} from '../lib/time.js'
import {numericMetrics} from '../reports/report.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {checkGate, type Direction, type GateSpec} from './gate.js'

/**
 * Promotion of an experiment's config to production, in three steps:
 * - assess/plan (read only): the experiment has config.yaml (valid YAML), its newest report with a verdict passes the
 *   gate (gates_passed true, no errors, the metric a finite number meeting the threshold), and it is classified
 *   success (so a person's ✗ in notes.md or metadata.json, a newer failed run or a live run block it);
 * - execute, under the workspace lock: re-check the source and the target, then write the previous version to
 *   <production dir>/.history/ (only with force), the production file, the metadata.json promotions entry and the
 *   leaderboard row, in that order; a failure undoes what was written;
 * - rollback: the newest kept version goes back in place, the replaced one is kept too.
 */
export const HISTORY_DIR = '.history'
const HEADER_FIRST = '# Promoted by exp: provenance (the rest of this file is the experiment config, unchanged)'
const HEADER_LAST = '# end of provenance'

export interface TargetOptions {
  /** absolute production folder */
  productionDir: string
  /** a file name in productionDir instead of train_<name without date>.yaml */
  configName?: string
}

export interface PromotionPlan {
  experiment: string
  /** absolute experiment directory */
  dir: string
  source: string
  target: string
  metric: string
  direction: Direction
  value: number
  threshold: number | null
  /** the gate's one-line reason (value and threshold) */
  gate: string
  /** the report that decided, as a person sees its path */
  report: string
  metrics: Record<string, number>
  configText: string
  config_sha256: string
  /** what the target looks like now: absent, identical content, or different content */
  target_state: 'absent' | 'identical' | 'different'
}

export type Assessment = {ok: true; plan: PromotionPlan} | {ok: false; code: string; reason: string}

/** The production file for an experiment: `train_<name without its date>.yaml`, or the --config-name. */
export function targetFor(dirName: string, options: TargetOptions): string {
  const name = options.configName === undefined ? `train_${slugOf(dirName)}.yaml` : checkConfigName(options.configName)
  return path.join(options.productionDir, name)
}

function checkConfigName(name: string): string {
  let problem: string | undefined
  if (name.trim() === '') problem = 'it is empty'
  else if (name.includes('/') || name.includes('\\')) problem = 'it must be a file name, not a path (use --production-dir for the folder)'
  else if (name.startsWith('.')) problem = 'it starts with "."'
  else if (/[\u0000-\u001F]/.test(name)) problem = 'it contains control characters'
  if (problem) throw new ExpError(`invalid --config-name "${name}": ${problem}.`, {code: 'INVALID_CONFIG_NAME', exit: EXIT.usage})
  return /\.ya?ml$/i.test(name) ? name : `${name}.yaml`
}

/** Everything that decides whether one classified experiment can be promoted. Reads only its config and the target. */
export async function assess(ws: Workspace, item: Classified, spec: GateSpec, target: TargetOptions): Promise<Assessment> {
  const {classification, snapshot: s} = item
  const fail = (code: string, reason: string): Assessment => ({code, ok: false, reason: `${s.name} cannot be promoted: ${reason}`})
  const source = path.join(s.dir, CONFIG_FILE)
  if (!s.hasConfig) return fail('NO_CONFIG', `it has no ${CONFIG_FILE}.`)
  const report = newestReport(s)
  const label = report ? displayPath(s, report.path) : undefined
  const gate = checkGate(report, spec, label)
  if (!gate.pass) return fail(report ? 'GATE_FAILED' : 'NO_REPORT', `${gate.reason}.`)
  if (classification.status !== 'success') {
    return fail('NOT_SUCCESS', `it is classified ${classification.status} (${classification.reason}); only experiments classified success are promoted.`)
  }
  // a metadata.json that cannot be read as an object would be lost by recording the promotion in it
  const metadataProblem = s.warnings.find((w) => w.startsWith(`${METADATA_FILE}: `) && /: (not valid JSON|not a JSON object|cannot be read)/.test(w))
  if (metadataProblem) return fail('INVALID_METADATA', `${metadataProblem}; fix it first (promotions are recorded there).`)
  let configText: string
  try {
    configText = await fs.readFile(source, 'utf8')
    parseConfigText(configText, relativeToRoot(ws, source))
  } catch (error) {
    return fail('INVALID_CONFIG', messageOf(error))
  }
  const file = targetFor(s.name, target)
  return {
    ok: true,
    plan: {
      config_sha256: sha256(configText),
      configText,
      dir: s.dir,
      direction: spec.direction,
      experiment: s.name,
      gate: gate.reason,
      metric: spec.metric,
      metrics: numericMetrics(report),
      report: label!,
      source,
      target: file,
      target_state: await targetState(file, configText),
      threshold: spec.threshold ?? null,
      value: gate.value!,
    },
  }
}

/** Resolve NAME (active or archived experiment), classify it on the same path as `exp list`, and assess it. */
export async function planPromotion(ws: Workspace, query: string, options: {spec: GateSpec; target: TargetOptions; now: Clock}): Promise<PromotionPlan> {
  const located = await resolveExperiment(ws, query)
  const [item] = await classifyWorkspace(ws, {location: located.location, now: options.now, only: [located.name]})
  if (!item) throw new ExpError(`no experiment named "${query}".`, {code: 'NOT_FOUND'})
  const result = await assess(ws, item, options.spec, options.target)
  if (!result.ok) throw new ExpError(result.reason, {code: result.code})
  return result.plan
}

// ---------------------------------------------------------------------------------------------------------------
// provenance

export interface Provenance {
  experiment?: string
  config_sha256?: string
  source?: string
  promoted_at?: string
  report?: string
  /** the metric line as written: `final_nrmse: 0.05 (threshold <= 0.1; lower is better)` */
  metric?: string
}

export function provenanceHeader(ws: Workspace, plan: PromotionPlan, promotedAt: Date): string {
  const bound = plan.threshold === null ? 'no threshold' : `threshold ${plan.direction === 'min' ? '<=' : '>='} ${plan.threshold}`
  return [
    HEADER_FIRST,
    `# experiment: ${oneLine(plan.experiment)}`,
    `# source: ${oneLine(relativeToRoot(ws, plan.source))}`,
    `# promoted_at: ${promotedAt.toISOString()}`,
    `# ${oneLine(plan.metric)}: ${plan.value} (${bound}; ${plan.direction === 'min' ? 'lower' : 'higher'} is better)`,
    `# report: ${oneLine(plan.report)}`,
    `# config_sha256: ${plan.config_sha256}`,
    HEADER_LAST,
    '',
  ].join('\n')
}

/** Split a production file into its provenance (when exp wrote one) and the config itself. */
export function splitProvenance(text: string): {provenance?: Provenance; body: string} {
  if (!text.startsWith(`${HEADER_FIRST}\n`)) return {body: text}
  const end = text.indexOf(`\n${HEADER_LAST}\n`)
  if (end === -1) return {body: text}
  const provenance: Provenance = {}
  for (const line of text.slice(HEADER_FIRST.length + 1, end).split('\n')) {
    const m = /^# ([^:]+): (.*)$/.exec(line)
    if (!m) continue
    if (['experiment', 'config_sha256', 'source', 'promoted_at', 'report'].includes(m[1])) provenance[m[1] as keyof Provenance] = m[2]
    else provenance.metric ??= `${m[1]}: ${m[2]}`
  }
  return {body: text.slice(end + HEADER_LAST.length + 2), provenance}
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001F\u2028\u2029]/g, ' ')
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function targetState(file: string, configText: string): Promise<PromotionPlan['target_state']> {
  const current = await readIfExists(file)
  if (current === undefined) return 'absent'
  return splitProvenance(current).body === configText ? 'identical' : 'different'
}

// ---------------------------------------------------------------------------------------------------------------
// execute

export type PromotionAction = 'create' | 'replace' | 'unchanged' | 'refused' | 'skipped'

export interface PromotionOutcome {
  experiment: string
  action: PromotionAction
  /** false under --dry-run, and when refused, skipped or unchanged */
  written: boolean
  /** one line for a person */
  message: string
  source: string
  target: string
  metric: string
  value: number
  threshold: number | null
  direction: Direction
  gate: string
  report: string
  config_sha256: string
  /** where the replaced version was kept (workspace-relative), with --force */
  history: string | null
  /** the leaderboard updated (workspace-relative), or null */
  leaderboard: string | null
}

export interface ExecuteOptions {
  force: boolean
  /** absolute leaderboard file, or null to leave it alone */
  leaderboard: string | null
  now: Clock
}

/** The outcome a plan would have, without writing (dry run), from the target state seen while planning. */
export function describePlan(ws: Workspace, plan: PromotionPlan, options: Pick<ExecuteOptions, 'force' | 'leaderboard'>, dryRun: boolean): PromotionOutcome {
  const action: PromotionAction =
    plan.target_state === 'absent' ? 'create' : plan.target_state === 'identical' ? 'unchanged' : options.force ? 'replace' : 'refused'
  const message = action === 'refused' ? conflictMessage(ws, plan) : action === 'unchanged' ? unchangedMessage(ws, plan) : `${dryRun ? 'Would promote' : 'Promote'} ${summary(ws, plan)}`
  return outcome(ws, plan, action, false, message, action === 'replace' ? relativeToRoot(ws, path.join(path.dirname(plan.target), HISTORY_DIR)) + '/' : null, options.leaderboard)
}

function summary(ws: Workspace, plan: PromotionPlan): string {
  return `${plan.experiment} → ${relativeToRoot(ws, plan.target)} (${plan.gate}, from ${relativeToRoot(ws, plan.source)})`
}

function conflictMessage(ws: Workspace, plan: PromotionPlan): string {
  const target = relativeToRoot(ws, plan.target)
  return `${target} exists with different content; ${plan.experiment} replaces it only with --force (the current version is then kept in ${relativeToRoot(ws, path.join(path.dirname(plan.target), HISTORY_DIR))}/).`
}

function unchangedMessage(ws: Workspace, plan: PromotionPlan): string {
  return `${relativeToRoot(ws, plan.target)} already holds the config of ${plan.experiment} (identical content); nothing to do.`
}

function outcome(ws: Workspace, plan: PromotionPlan, action: PromotionAction, written: boolean, message: string, history: string | null, leaderboard: string | null): PromotionOutcome {
  return {
    action,
    config_sha256: plan.config_sha256,
    direction: plan.direction,
    experiment: plan.experiment,
    gate: plan.gate,
    history,
    leaderboard: leaderboard === null ? null : relativeToRoot(ws, leaderboard),
    message,
    metric: plan.metric,
    report: plan.report,
    source: relativeToRoot(ws, plan.source),
    target: relativeToRoot(ws, plan.target),
    threshold: plan.threshold,
    value: plan.value,
    written,
  }
}

/**
 * Execute plans one after another under ONE hold of the workspace lock. A plan that cannot be carried out (its
 * target changed to different content without --force, its source changed) is `refused` and the others go on;
 * callers that promote one experiment turn a refusal into an error.
 */
export async function executePromotions(ws: Workspace, plans: PromotionPlan[], options: ExecuteOptions): Promise<PromotionOutcome[]> {
  if (plans.length === 0) return []
  return withWorkspaceLock(ws, async () => {
    const out: PromotionOutcome[] = []
    for (const plan of plans) {
      try {
        out.push(await executeOne(ws, plan, options))
      } catch (error) {
        if (!(error instanceof ExpError)) throw error
        out.push(outcome(ws, plan, 'refused', false, error.message, null, null))
      }
    }
    return out
  }, {command: 'promote'})
}

async function executeOne(ws: Workspace, plan: PromotionPlan, options: ExecuteOptions): Promise<PromotionOutcome> {
  // re-read everything under the lock: another process may have promoted, archived or edited since planning
  const source = await readIfExists(plan.source)
  if (source === undefined) throw new ExpError(`${relativeToRoot(ws, plan.source)} is gone (moved or archived since it was checked); run exp promote again.`, {code: 'CHANGED'})
  if (sha256(source) !== plan.config_sha256) throw new ExpError(`${relativeToRoot(ws, plan.source)} changed while it was being promoted; run exp promote again.`, {code: 'CHANGED'})
  const current = await readIfExists(plan.target)
  if (current !== undefined && splitProvenance(current).body === plan.configText) {
    return outcome(ws, plan, 'unchanged', false, unchangedMessage(ws, plan), null, null)
  }
  if (current !== undefined && !options.force) throw new ExpError(conflictMessage(ws, plan), {code: 'TARGET_EXISTS'})

  const metadataFile = path.join(plan.dir, METADATA_FILE)
  const metadataText = await readIfExists(metadataFile)
  let metadata: Record<string, unknown> = {}
  if (metadataText !== undefined) {
    const parsed = parseJsonObject(metadataText)
    if (!parsed) throw new ExpError(`${relativeToRoot(ws, metadataFile)} is not a valid JSON object; fix it first (promotions are recorded there).`, {code: 'INVALID_METADATA'})
    metadata = parsed
  }
  const leaderboardModule = options.leaderboard === null ? undefined : await import('../leaderboard/leaderboard.js')
  // read (and refuse a broken) leaderboard before writing anything
  const board = leaderboardModule ? await leaderboardModule.readLeaderboard(options.leaderboard!) : undefined

  const now = options.now()
  const historyFile = current === undefined ? undefined : await historyPath(plan.target, now)
  const entry = {
    config_sha256: plan.config_sha256,
    direction: plan.direction,
    metric: plan.metric,
    promoted_at: now.toISOString(),
    replaced: historyFile === undefined ? null : relativeToRoot(ws, historyFile),
    report: plan.report,
    target: relativeToRoot(ws, plan.target),
    threshold: plan.threshold,
    value: plan.value,
  }
  const promotions = Array.isArray(metadata.promotions) ? metadata.promotions : []
  const nextMetadata = {...metadata, promotions: [...promotions, entry]}

  const undo: Array<() => Promise<void>> = []
  try {
    if (historyFile !== undefined) {
      await writeFileAtomic(historyFile, current!)
      undo.push(() => fs.rm(historyFile, {force: true}))
    }
    await writeFileAtomic(plan.target, provenanceHeader(ws, plan, now) + plan.configText)
    undo.push(() => (current === undefined ? fs.rm(plan.target, {force: true}) : writeFileAtomic(plan.target, current)))
    await writeJsonAtomic(metadataFile, nextMetadata)
    undo.push(() => (metadataText === undefined ? fs.rm(metadataFile, {force: true}) : writeFileAtomic(metadataFile, metadataText)))
    if (leaderboardModule && board) {
      const next = leaderboardModule.upsertEntry(
        board,
        {config: entry.target, experiment: plan.experiment, gates_passed: true, metric: plan.metric, metrics: plan.metrics, promoted_at: entry.promoted_at, value: plan.value},
        plan.direction,
      )
      await leaderboardModule.writeLeaderboard(next)
    }
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {})
    throw error
  }
  const action = current === undefined ? 'create' : 'replace'
  const kept = historyFile === undefined ? '' : `; the previous version is kept as ${relativeToRoot(ws, historyFile)}`
  return outcome(ws, plan, action, true, `Promoted ${summary(ws, plan)}${kept}`, entry.replaced, options.leaderboard)
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

function splitExt(file: string): {stem: string; ext: string} {
  const base = path.basename(file)
  const m = /^(.*?)(\.ya?ml)$/i.exec(base)
  return m ? {ext: m[2], stem: m[1]} : {ext: '', stem: base}
}

/** `<dir>/.history/<stem>.<fileStamp><ext>`, with -2, -3… when two versions are kept within the same second. */
async function historyPath(target: string, now: Date, marker = ''): Promise<string> {
  const {ext, stem} = splitExt(target)
  const dir = path.join(path.dirname(target), HISTORY_DIR)
  const stamp = fileStamp(now)
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${stem}.${stamp}${n === 1 ? '' : `-${n}`}${marker}${ext}`)
    if (!existsSync(file)) return file
  }
}

// ---------------------------------------------------------------------------------------------------------------
// rollback

export interface RollbackOptions {
  /** the production file: a path, or a file name in productionDir */
  file: string
  productionDir: string
  cwd: string
  dryRun: boolean
  now: Clock
}

export interface RollbackResult {
  target: string
  /** the kept version put back in place */
  restored: string
  /** where the version that was in place is kept (null when there was none) */
  kept_current_as: string | null
  /** the experiment whose promotion was undone, as the provenance of the replaced version names it */
  experiment: string | null
  /** whether that experiment's promotion entry in metadata.json was marked rolled_back_at */
  metadata_marked: boolean
  written: boolean
}

const ROLLED_BACK = '.rolled-back'

/** The kept versions of a production file that rollback can restore, newest first (rolled-back copies excluded). */
export async function keptVersions(target: string): Promise<string[]> {
  const {ext, stem} = splitExt(target)
  const dir = path.join(path.dirname(target), HISTORY_DIR)
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.(\\d{8}T\\d{6}Z)(?:-(\\d+))?${escapeRegExp(ext)}$`)
  return names
    .map((name) => ({m: pattern.exec(name), name}))
    .filter((x) => x.m)
    .sort((a, b) => b.m![1].localeCompare(a.m![1]) || Number(b.m![2] ?? 1) - Number(a.m![2] ?? 1))
    .map((x) => path.join(dir, x.name))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A production file named by a person: a path (relative to cwd), or a file name in the production folder. */
export function resolveProductionFile(file: string, productionDir: string, cwd: string): string {
  if (file.includes('/') || file.includes('\\')) return path.resolve(cwd, file)
  return path.join(productionDir, file)
}

/**
 * Put the newest kept version of a production file back in place. The version being replaced is kept as
 * `<stem>.<stamp>.rolled-back<ext>` (never restored by a later rollback, so rolling back again goes one more version
 * back), and the promotion it came from is marked `rolled_back_at` in its experiment's metadata.json.
 */
export async function rollbackProduction(ws: Workspace, options: RollbackOptions): Promise<RollbackResult> {
  const target = resolveProductionFile(options.file, options.productionDir, options.cwd)
  const rel = relativeToRoot(ws, target)
  const run = async (): Promise<RollbackResult> => {
    const [newest] = await keptVersions(target)
    if (!newest) {
      throw new ExpError(`no previous version of ${rel} in ${relativeToRoot(ws, path.join(path.dirname(target), HISTORY_DIR))}/ to put back (a first promotion has none: remove the file to undo it).`, {
        code: 'NO_HISTORY',
      })
    }
    const current = await readIfExists(target)
    const provenance = current === undefined ? undefined : splitProvenance(current).provenance
    const now = options.now()
    const keep = current === undefined ? undefined : await historyPath(target, now, ROLLED_BACK)
    const result: RollbackResult = {
      experiment: provenance?.experiment ?? null,
      kept_current_as: keep === undefined ? null : relativeToRoot(ws, keep),
      metadata_marked: false,
      restored: relativeToRoot(ws, newest),
      target: rel,
      written: !options.dryRun,
    }
    if (options.dryRun) return result
    if (keep !== undefined) await writeFileAtomic(keep, current!)
    await fs.rename(newest, target) // atomic replace: readers see the old or the restored version
    if (provenance?.experiment) result.metadata_marked = await markRolledBack(ws, provenance.experiment, rel, provenance.config_sha256, now)
    return result
  }
  return options.dryRun ? run() : withWorkspaceLock(ws, run, {command: 'promote --rollback'})
}

/** Mark the newest matching promotion in the experiment's metadata.json; whether one was found. */
async function markRolledBack(ws: Workspace, experiment: string, target: string, sha: string | undefined, now: Date): Promise<boolean> {
  // the name comes from a file's comment: never let it point outside the experiment folders
  if (experiment === '' || experiment.includes('/') || experiment.includes('\\') || experiment.startsWith('.')) return false
  const dirs = [path.join(ws.paths.experiments, experiment), path.join(ws.paths.archive, experiment)]
  for (const dir of dirs) {
    const file = path.join(dir, METADATA_FILE)
    const text = await readIfExists(file)
    const metadata = text === undefined ? undefined : parseJsonObject(text)
    if (!metadata || !Array.isArray(metadata.promotions)) continue
    const promotions = metadata.promotions as Array<Record<string, unknown>>
    const index = promotions.findLastIndex((p) => p && p.target === target && !p.rolled_back_at && (sha === undefined || p.config_sha256 === sha))
    if (index === -1) continue
    const next = promotions.map((p, i) => (i === index ? {...p, rolled_back_at: now.toISOString()} : p))
    await writeJsonAtomic(file, {...metadata, promotions: next})
    return true
  }
  return false
}

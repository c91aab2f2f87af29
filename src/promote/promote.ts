import {promises as fs} from 'node:fs'
import path from 'node:path'

import {displayPath, newestReport} from '../classify/classify.js'
import {parseConfigText} from '../config/config-file.js'
import {EXIT, ExpError, messageOf} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {slugOf} from '../experiments/naming.js'
import {resolveTarget} from '../experiments/resolve.js'
import {CONFIG_FILE, METADATA_FILE} from '../experiments/scan.js'
import {sha256} from '../lib/hash.js'
import type {Clock} from '../lib/time.js'
import {numericMetrics} from '../reports/report.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {checkGate, type Direction, type GateSpec} from './gate.js'
import {checkpointHeaderLine, type PromotedCheckpoint, promotedCheckpoint} from './checkpoint.js'

/**
 * Promotion of an experiment's config to production, in three steps:
 * - assess/plan (read only): the experiment has config.yaml (valid YAML), its newest report with a verdict passes the
 *   gate (gates_passed true, no errors, the metric a finite number meeting the threshold), and it is classified
 *   success (so a person's ✗ in notes.md or metadata.json, a newer failed run or a live run block it);
 * - execute (execute.ts), under the workspace lock: re-check the source and the target, then the previous version in
 *   <production dir>/.history/ (only with force), the production file, the metadata.json promotions entry and the
 *   leaderboard row are written as ONE journaled step (lib/file-set.ts): all of them or none, even when killed;
 * - rollback (rollback.ts): the newest kept version goes back in place, the replaced one is kept too, the promotion
 *   is marked and its leaderboard row removed, in one journaled step as well.
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
  /** the checkpoint the deciding report's run evaluated (null: no run wrote the report) */
  checkpoint: PromotedCheckpoint | null
  /** what the target looks like now: absent, identical content, or different content */
  target_state: 'absent' | 'identical' | 'different'
  /** a sweep's variant: its parameter values (leaderboard columns) */
  params?: Record<string, unknown>
}

export type Assessment = {ok: true; plan: PromotionPlan} | {ok: false; code: string; reason: string}

/** The production file for an experiment: `train_<name without its date>.yaml`, or the --config-name. */
export function targetFor(dirName: string, options: TargetOptions): string {
  // a variant (`EXP/V`) becomes train_<slug>_<variant>.yaml
  const name = options.configName === undefined ? `train_${slugOf(dirName).replace('/', '_')}.yaml` : checkConfigName(options.configName)
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
  const promotions = s.metadata?.promotions
  if (promotions !== undefined && !Array.isArray(promotions)) return fail('INVALID_METADATA', `${METADATA_FILE}: "promotions" is not a list; fix it first (promotions are recorded there).`)
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
      checkpoint: promotedCheckpoint(s, report),
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
  const located = await resolveTarget(ws, query)
  const [item] = await classifyWorkspace(ws, {location: located.location, now: options.now, only: [located.name]})
  if (!item) throw new ExpError(`no experiment named "${query}".`, {code: 'NOT_FOUND'})
  if (located.variant || item.snapshot.variants) {
    const {planSweepPromotion} = await import('./sweep.js')
    return planSweepPromotion(item, located.variant, options.spec.direction, (v) => assess(ws, v, options.spec, options.target))
  }
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
    ...checkpointHeaderLine(relativeToRoot(ws, plan.dir), plan.checkpoint),
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

export async function readIfExists(file: string): Promise<string | undefined> {
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

export type PromotionAction = 'create' | 'replace' | 'unchanged' | 'repaired' | 'refused' | 'skipped'

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

export function summary(ws: Workspace, plan: PromotionPlan): string {
  return `${plan.experiment} → ${relativeToRoot(ws, plan.target)} (${plan.gate}, from ${relativeToRoot(ws, plan.source)})`
}

export function conflictMessage(ws: Workspace, plan: PromotionPlan): string {
  const target = relativeToRoot(ws, plan.target)
  return `${target} exists with different content; ${plan.experiment} replaces it only with --force (the current version is then kept in ${relativeToRoot(ws, path.join(path.dirname(plan.target), HISTORY_DIR))}/).`
}

export function unchangedMessage(ws: Workspace, plan: PromotionPlan): string {
  return `${relativeToRoot(ws, plan.target)} already holds the config of ${plan.experiment} (identical content); nothing to do.`
}

export function outcome(ws: Workspace, plan: PromotionPlan, action: PromotionAction, written: boolean, message: string, history: string | null, leaderboard: string | null): PromotionOutcome {
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


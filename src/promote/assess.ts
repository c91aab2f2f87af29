import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {displayPath, newestReport} from '../classify/classify.js'
import {parseConfigText} from '../config/config-file.js'
import {EXIT, ExpError, messageOf} from '../errors.js'
import {type Classified, classifyWorkspace} from '../experiments/listing.js'
import {slugOf} from '../experiments/naming.js'
import {resolveTarget} from '../experiments/resolve.js'
import {CONFIG_FILE, METADATA_FILE} from '../experiments/scan.js'
import {sha256} from '../lib/hash.js'
import {readIfExists} from '../lib/read-if-exists.js'
import type {Clock} from '../lib/time.js'
import {metadataProblem} from '../records/metadata.js'
import {numericMetrics} from '../reports/report.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {checkGate, type GateSpec} from './gate.js'
import {promotedCheckpoint} from './checkpoint.js'
import {PROMOTION_FIELDS} from './records.js'
import type {Assessment, PromotionPlan, TargetOptions} from './plan.js'
import {splitProvenance} from './provenance.js'

/** The production file for an experiment: `train_<name without its date>.yaml`, or the --config-name. */
export function targetFor(dirName: string, options: TargetOptions): string {
  // a variant (`EXP/V`) becomes train_<slug>_<variant>.yaml
  const name =
    options.configName === undefined
      ? `train_${slugOf(dirName).replace('/', '_')}.yaml`
      : checkConfigName(options.configName)
  return path.join(options.productionDir, name)
}

function checkConfigName(name: string): string {
  let problem: string | undefined
  if (name.trim() === '') problem = 'it is empty'
  else if (name.includes('/') || name.includes('\\'))
    problem = 'it must be a file name, not a path (use --production-dir for the folder)'
  else if (name.startsWith('.')) problem = 'it starts with "."'
  else if (/[\u0000-\u001F]/.test(name)) problem = 'it contains control characters'
  if (problem)
    throw new ExpError(`invalid --config-name "${name}": ${problem}.`, {code: 'INVALID_CONFIG_NAME', exit: EXIT.usage})
  return /\.ya?ml$/i.test(name) ? name : `${name}.yaml`
}

/** Everything that decides whether one classified experiment can be promoted. Reads only its config and the target. */
export async function assess(
  ws: Workspace,
  item: Classified,
  spec: GateSpec,
  target: TargetOptions,
): Promise<Assessment> {
  const {classification, snapshot: s} = item
  const fail = (code: string, reason: string): Assessment => ({
    code,
    ok: false,
    reason: `${s.name} cannot be promoted: ${reason}`,
  })
  const source = path.join(s.dir, CONFIG_FILE)
  if (!s.hasConfig) return fail('NO_CONFIG', `it has no ${CONFIG_FILE}.`)
  const report = newestReport(s)
  const label = report ? displayPath(s, report.path) : undefined
  const gate = checkGate(report, spec, label)
  if (!gate.pass) return fail(report ? 'GATE_FAILED' : 'NO_REPORT', `${gate.reason}.`)
  if (classification.status !== 'success') {
    return fail(
      'NOT_SUCCESS',
      `it is classified ${classification.status} (${classification.reason}); only experiments classified success are promoted.`,
    )
  }
  // a metadata.json that cannot be read as an object would be lost by recording the promotion in it
  if (s.metadataProblem)
    return fail('INVALID_METADATA', `${s.metadataProblem}; fix it first (promotions are recorded there).`)
  const problem = s.metadata && (await metadataProblem(s.metadata, METADATA_FILE, PROMOTION_FIELDS))
  if (problem) return fail('INVALID_METADATA', `${problem}; fix it first (promotions are recorded there).`)
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

type PlanOptions = {spec: GateSpec; target: TargetOptions; now: Clock}

/**
 * Resolve NAME (active or archived experiment), classify it on the same path as `exp list`, and assess it. Planning
 * reads without the lock: when the experiment vanished under it while an archive or restore holds the lock (it is
 * being moved), wait for that move to end and plan again where it now is.
 */
export async function planPromotion(ws: Workspace, query: string, options: PlanOptions): Promise<PromotionPlan> {
  let seen: string | undefined
  try {
    return await planOnce(ws, query, options, (dir) => (seen = dir))
  } catch (error) {
    const vanished =
      error instanceof ExpError && (error.code === 'NOT_FOUND' || (seen !== undefined && !existsSync(seen)))
    if (!vanished || !existsSync(ws.paths.lock)) throw error
    await withWorkspaceLock(ws, async () => {}, {command: 'promote'})
    return planOnce(ws, query, options, () => {})
  }
}

async function planOnce(
  ws: Workspace,
  query: string,
  options: PlanOptions,
  found: (dir: string) => void,
): Promise<PromotionPlan> {
  const located = await resolveTarget(ws, query)
  const [item] = await classifyWorkspace(ws, {location: located.location, now: options.now, only: [located.name]})
  if (!item) throw new ExpError(`no experiment named "${query}".`, {code: 'NOT_FOUND'})
  found(item.snapshot.dir)
  if (located.variant || item.snapshot.variants) {
    const {planSweepPromotion} = await import('./sweep.js')
    return planSweepPromotion(item, located.variant, options.spec.direction, (v) =>
      assess(ws, v, options.spec, options.target),
    )
  }
  const result = await assess(ws, item, options.spec, options.target)
  if (!result.ok) throw new ExpError(result.reason, {code: result.code})
  return result.plan
}

async function targetState(file: string, configText: string): Promise<PromotionPlan['target_state']> {
  const current = await readIfExists(file)
  if (current === undefined) return 'absent'
  return splitProvenance(current).body === configText ? 'identical' : 'different'
}

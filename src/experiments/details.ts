import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {type Classification, displayPath} from '../classify/classify.js'
import {type ConfigChange, diffConfigs, parseConfigText} from '../config/config-file.js'
import {messageOf} from '../errors.js'
import {sha256} from '../lib/hash.js'
import type {Clock} from '../lib/time.js'
import {numericMetrics} from '../reports/report.js'
import {latestMetrics, type LatestMetrics, type MetricsRow} from '../runs/metrics.js'
import type {RunRecord} from '../runs/record.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {type Classified, classifyWorkspace, type ListedExperiment, toListed} from './listing.js'
import {resolveTarget} from './resolve.js'
import {listedVariants, type ListedVariant, variantItem, variantParams} from './variants.js'
import {type QuickBase, quickDiff} from './quick-diff.js'
import {CONFIG_FILE} from './scan.js'

export interface ExperimentDetails extends ListedExperiment {
  dir: string
  classification: Classification
  files: {count: number; bytes: number}
  config: {path: string; exists: boolean; sha256?: string}
  base: {path: string | null; changed_since_creation: boolean | null; changes: ConfigChange[]; error?: string}
  hypothesis: string | null
  reports_detail: Array<{path: string; scope: string; time: string; metrics: Record<string, number>; gates_passed?: unknown; error?: string}>
  runs_detail: RunRecord[]
  /** the last values the newest run with a metrics.jsonl logged (training curves) */
  metrics: LatestMetrics | null
  promotions: unknown[]
  metadata: Record<string, unknown> | null
  /** a sweep: its variants; a variant: its parameter values */
  variants_detail?: ListedVariant[]
  params?: Record<string, unknown>
}

/** Everything exp knows of one experiment. */
export async function showExperiment(ws: Workspace, query: string, options: {now: Clock}): Promise<ExperimentDetails> {
  const located = await resolveTarget(ws, query)
  const [whole] = await classifyWorkspace(ws, {location: located.location, now: options.now, only: [located.name]})
  const item = located.variant ? variantItem(whole, located.variant) : whole
  return detailsOf(ws, item, {...options, sweep: located.variant ? {variant: located.variant, whole} : undefined})
}

/** The details of an experiment already scanned and classified (exp report --all builds many from one scan). */
export interface BaseConfig extends QuickBase {
  sha256?: string
}

/** Read and parse a base config (exp report --all passes a cached one: most experiments share a base). */
export function readBaseConfig(file: string): BaseConfig {
  const text = readFileSync(file, 'utf8')
  return {text, value: parseConfigText(text, file).toJS()}
}

/**
 * `sweep`: the item is that variant of the whole sweep (its base is the sweep's shared config.yaml). exp report --all
 * passes what it already read or knows (readConfig, baseExists) and skips the config's hash (a page does not show it).
 */
export async function detailsOf(ws: Workspace, item: Classified, options: {now: Clock; readBase?: (file: string) => BaseConfig; readMetrics?: (runDir: string) => MetricsRow[]; readConfig?: (file: string) => string; baseExists?: (file: string) => boolean; hashConfig?: boolean; sweep?: {variant: string; whole: Classified}}): Promise<ExperimentDetails> {
  const sweep = options.sweep
  const {classification, snapshot: s} = item
  const listed = toListed(item, options.now(), ws.settings.promote.metric)

  const configPath = path.join(s.dir, CONFIG_FILE)
  const configText = s.hasConfig ? (options.readConfig ? options.readConfig(configPath) : readFileSync(configPath, 'utf8')) : undefined
  // a variant's base is the sweep's shared config.yaml
  const baseRel = sweep
    ? relativeToRoot(ws, path.join(sweep.whole.snapshot.dir, CONFIG_FILE))
    : typeof (s.metadata?.base_config as {path?: unknown} | undefined)?.path === 'string'
      ? (s.metadata!.base_config as {path: string}).path
      : null
  const baseSha = (s.metadata?.base_config as {sha256?: unknown} | undefined)?.sha256
  const base: ExperimentDetails['base'] = {changed_since_creation: null, changes: [], path: baseRel}
  if (baseRel && configText !== undefined) {
    const baseFile = path.resolve(ws.root, baseRel)
    if ((options.baseExists ?? existsSync)(baseFile)) {
      try {
        const baseConfig = (options.readBase ?? readBaseConfig)(baseFile)
        base.changed_since_creation = typeof baseSha === 'string' ? (baseConfig.sha256 ??= sha256(baseConfig.text)) !== baseSha : null
        base.changes = quickDiff(baseConfig, configText) ?? diffConfigs(baseConfig.value, parseConfigText(configText, configPath).toJS())
      } catch (error) {
        base.error = messageOf(error)
      }
    } else {
      base.error = `base config ${baseRel} no longer exists`
    }
  }

  return {
    ...listed,
    base,
    classification,
    config: {exists: s.hasConfig, path: relativeToRoot(ws, configPath), sha256: configText === undefined || options.hashConfig === false ? undefined : sha256(configText)},
    dir: relativeToRoot(ws, s.dir),
    files: {bytes: s.bytes, count: s.fileCount},
    hypothesis: typeof s.metadata?.hypothesis === 'string' ? s.metadata.hypothesis : null,
    metadata: s.metadata ?? null,
    metrics: latestMetrics(s.dir, s.runs, options.readMetrics),
    promotions: Array.isArray(s.metadata?.promotions) ? (s.metadata!.promotions as unknown[]) : [],
    reports_detail: s.reports.map((r) => ({
      error: r.error,
      gates_passed: r.data?.gates_passed,
      metrics: numericMetrics(r),
      path: displayPath(s, r.path),
      scope: r.scope,
      time: new Date(r.time).toISOString(),
    })),
    runs_detail: s.runs,
    ...(sweep ? {params: variantParams(sweep.whole.snapshot, sweep.variant)} : {}),
    ...(s.variants ? {variants_detail: listedVariants([item], ws.settings.promote.metric)} : {}),
  }
}


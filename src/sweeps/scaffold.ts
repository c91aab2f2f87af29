import {existsSync, promises as fs, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {applyOverrides} from '../config/config-file.js'
import {EXIT, ExpError} from '../errors.js'
import {installExperiment, type NewExperimentOptions, prepareExperiment} from '../experiments/create.js'
import {CONFIG_FILE, METADATA_FILE, NOTES_FILE} from '../experiments/scan.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {variantConfigs} from './configs.js'
import {expandGrid, parseGridAxis} from './grid.js'
import {variantNames, varyingAxes} from './naming.js'
import {formatSweep, SCAFFOLD_LOG, SUMMARY_FILE, SWEEP_FILE, type SweepRecord} from './record.js'
import {runSetup, ScaffoldLog, setupTemplate, type SetupOutcome} from './setup.js'
import {parseSummary} from './summary.js'

export const DEFAULT_TEMPLATES: Readonly<Record<string, string>> = {
  '.json': 'configs/setup_finetune_json.yaml',
  '.parquet': 'configs/setup_finetune_parquet.yaml',
}

/** `exp new`'s options, with the axes or the summary; NAME may come from the summary's title. */
export interface SweepOptions extends Omit<NewExperimentOptions, 'name'> {
  name?: string
  grid?: string[]
  /** --add: overrides whose keys are meant to be new */
  adds?: string[]
  fromSummary?: string
  env?: NodeJS.ProcessEnv
}

export interface SweepResult {
  name: string
  dir: string
  source: 'grid' | 'summary'
  varying: string[]
  variants: SetupOutcome[]
  controls: number
  failures: SetupOutcome[]
  warnings: string[]
}

interface Row {
  label: string
  run_name?: string
  spelling: Record<string, string>
  values: Record<string, unknown>
}

/** `exp new --grid … | --from-summary …`: one experiment with a folder per variant, built whole then renamed into place. */
export async function scaffoldSweep(ws: Workspace, options: SweepOptions): Promise<SweepResult> {
  const cwd = options.cwd ?? process.cwd()
  const log = new ScaffoldLog(options.now)
  const warnings: string[] = []
  let rows: Row[]
  let axes: string[]
  let source: SweepRecord['source']
  let common: Record<string, unknown> = {}
  let controls: SweepRecord['controls'] = []
  let summaryText: string | undefined
  let name = options.name
  let from = options.from
  if (options.fromSummary) {
    const file = path.resolve(cwd, options.fromSummary)
    summaryText = await fs.readFile(file, 'utf8').catch(() => {
      throw new ExpError(`${options.fromSummary} cannot be read (no such file?).`, {code: 'NO_SUMMARY'})
    })
    const plan = parseSummary(summaryText, path.basename(file), ws.settings.sweep.columns)
    log.add({
      action: 'DISCOVER',
      description: `Reading ${path.basename(file)}`,
      details: [`Title: ${plan.title}`, `All Runs: ${plan.runs.length} fine-tuned, ${plan.controls.length} control`],
      result: `${plan.runs.length} runs to scaffold`,
    })
    name ??= plan.slug
    from ??= templateFor(ws, plan.dataset)
    rows = plan.runs.map((r) => ({
      label: `line ${r.line} (${r.run_name})`,
      run_name: r.run_name,
      spelling: r.spelling,
      values: r.values,
    }))
    axes = plan.columns.map((c) => c.key)
    common = plan.common
    controls = plan.controls.map((c) => ({cells: c.cells, run_name: c.run_name}))
    source = {file: SUMMARY_FILE, kind: 'summary', template: relativeToRoot(ws, from), title: plan.title}
    for (const p of plan.paths)
      if (!existsSync(path.resolve(ws.root, p)))
        warnings.push(`${p} does not exist here (it may exist on the compute nodes).`)
  } else {
    const gridAxes = (options.grid ?? []).map((g) => parseGridAxis(g))
    rows = expandGrid(gridAxes)
    axes = gridAxes.map((a) => a.key)
    source = {axes: gridAxes, kind: 'grid'}
    log.add({
      action: 'DISCOVER',
      description: 'Reading the --grid axes',
      details: gridAxes.map((a) => `${a.key}: ${a.values.join(', ')}`),
      result: `${rows.length} variants (cartesian product)`,
    })
  }
  if (!name)
    throw new ExpError('missing argument NAME (the summary has no title to name the experiment by).', {
      code: 'MISSING_ARG',
      exit: EXIT.usage,
    })

  const abbreviations = ws.settings.sweep.abbreviations
  const naming = axes.map((key) => ({key}))
  const names = variantNames(naming, rows, abbreviations)
  const varying = varyingAxes(naming, rows).map((a) => a.key)
  const values = (key: string) => [...new Set(rows.map((r) => r.spelling[key] ?? '-'))].join(', ')
  log.add({
    action: 'ANALYZE_PARAMETERS',
    description: 'Identifying varying parameters',
    details: `Checked ${axes.join(', ')}`,
    result: `Varying parameters: ${varying.map((k) => `${k} (${values(k)})`).join(', ')}`,
  })
  const hook = setupTemplate(ws) // an unknown {local.X} is refused here, before anything is written

  const gridKeys = source.kind === 'grid' ? axes : undefined
  const prepared = await prepareExperiment(ws, {
    adds: options.adds,
    date: options.date,
    from,
    gridKeys,
    hypothesis: options.hypothesis,
    name,
    now: options.now,
    sets: options.sets,
  })
  const shared = prepared.doc
  applyOverrides(
    shared,
    Object.entries(common).map(([key, value]) => ({key, path: key.split('.'), value})),
  )
  const configs = variantConfigs(shared, rows)
  const record: SweepRecord = {
    controls,
    naming: {abbreviations, varying},
    schema: 1,
    source,
    variants: rows.map((row, i) => ({
      name: names[i],
      params: row.values,
      ...(row.run_name ? {run_name: row.run_name} : {}),
      setup: hook ? 'failed' : 'none',
    })),
  }
  prepared.metadata.sweep = {source: source.kind, variants: names.length, varying}
  const notes = `${prepared.notes}\n## Variants\n\n${names.map((n) => `- \`${n}\``).join('\n')}\n`

  const outcome = await installExperiment(
    ws,
    prepared.dirName,
    async (tmp) => {
      await fs.writeFile(path.join(tmp, CONFIG_FILE), shared.toString())
      await fs.writeFile(path.join(tmp, NOTES_FILE), notes)
      await fs.writeFile(path.join(tmp, METADATA_FILE), JSON.stringify(prepared.metadata, null, 2) + '\n')
      if (summaryText !== undefined) await fs.writeFile(path.join(tmp, SUMMARY_FILE), summaryText)
      // synchronous on purpose: thousands of small writes into a private folder, each cheaper than a trip through
      // libuv's thread pool (the same finding as the scan's; bench/sweeps.js)
      for (const [i, variant] of names.entries()) {
        mkdirSync(path.join(tmp, variant))
        log.add({action: 'CREATE_DIRECTORY', description: `${variant}/`, details: rows[i].label, result: 'created'})
        writeFileSync(path.join(tmp, variant, CONFIG_FILE), configs[i])
        log.add({
          action: 'GENERATE_FILE',
          description: `${variant}/${CONFIG_FILE}`,
          details: Object.entries(rows[i].spelling)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          result: 'written',
        })
      }
      await fs.writeFile(path.join(tmp, SWEEP_FILE), formatSweep(record))
      log.add({
        action: 'GENERATE_FILE',
        description: `${SWEEP_FILE}, ${CONFIG_FILE}, ${NOTES_FILE}, ${METADATA_FILE}`,
        details: `template ${relativeToRoot(ws, prepared.base)}`,
        result: 'written',
      })
      await fs.writeFile(path.join(tmp, SCAFFOLD_LOG), log.take())
    },
    async (dir) => {
      // the hook runs where the variants live for good (it may write absolute paths into its own files)
      const outcomes = await runSetup(ws, dir, names, log, options.env)
      for (const o of outcomes)
        Object.assign(
          record.variants.find((v) => v.name === o.variant)!,
          {setup: o.state, ...(o.error ? {setup_error: o.error} : {})},
        )
      await finishLog(dir, record, outcomes, log, hook !== undefined)
      return outcomes
    },
  )
  const variants = outcome!
  return {
    controls: controls.length,
    dir: prepared.dir,
    failures: variants.filter((v) => v.state === 'failed'),
    name: prepared.dirName,
    source: source.kind,
    variants,
    varying,
    warnings,
  }
}

/** After setup: sweep.yaml with each variant's setup state, and the log's summary entry. */
export async function finishLog(
  dir: string,
  record: SweepRecord,
  outcomes: SetupOutcome[],
  log: ScaffoldLog,
  hook: boolean,
): Promise<void> {
  if (hook) await writeFileAtomic(path.join(dir, SWEEP_FILE), formatSweep(record))
  const failed = outcomes.filter((o) => o.state === 'failed')
  log.add({
    action: 'SUMMARY',
    description: `${record.variants.length} variants${hook ? `, setup ran for ${outcomes.length}` : ''}`,
    details: failed.map((f) => `${f.variant}: setup ${f.error}`),
    result:
      failed.length === 0
        ? 'all variants ready'
        : `${failed.length} of ${outcomes.length} setups FAILED: ${failed.map((f) => f.variant).join(', ')}`,
  })
  await fs.appendFile(path.join(dir, SCAFFOLD_LOG), log.take())
}

function templateFor(ws: Workspace, dataset: string): string {
  const ext = path.extname(dataset).toLowerCase()
  const templates = {...DEFAULT_TEMPLATES, ...ws.settings.sweep.templates}
  const template = templates[ext]
  if (!template)
    throw new ExpError(
      `no config template for ${ext || 'extensionless'} datasets (${dataset}); known: ${Object.keys(templates).join(', ')} (exp.yaml sweep.templates).`,
      {code: 'NO_TEMPLATE'},
    )
  if (!existsSync(path.resolve(ws.root, template)))
    throw new ExpError(`the template for ${ext} datasets, ${template}, does not exist (exp.yaml sweep.templates).`, {
      code: 'NO_TEMPLATE',
    })
  return path.resolve(ws.root, template)
}

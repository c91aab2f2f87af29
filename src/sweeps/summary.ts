import path from 'node:path'
import {parse} from 'yaml'

import {EXIT, ExpError} from '../errors.js'
import {firstTable, listItems, type Section, sections} from './markdown.js'

/**
 * An `experiment_summary.md` read as a sweep: the title names the experiment, the "All Runs" table lists the runs
 * (only `Fine-tuned` rows become variants; `Control` rows are recorded), and Resources/Configuration give the common
 * settings. Every refusal is one line naming the file and line; nothing here touches the disk.
 */
export const NOT_PARAMETERS = ['run_name', 'type', 'est_time']

export interface SummaryRun {
  line: number
  run_name: string
  /** the cell as written, by config key (`-` cells are absent) */
  spelling: Record<string, string>
  /** the values set in the variant's config, by config key (typed as YAML) */
  values: Record<string, unknown>
}

export interface SummaryPlan {
  title: string
  slug: string
  /** parameter columns in table order */
  columns: Array<{header: string; key: string}>
  runs: SummaryRun[]
  controls: Array<{line: number; run_name: string; cells: Record<string, string>}>
  /** settings every variant gets: model_checkpoint (when one model), dataset, epochs, num_gpus, system_prompt, enable_validation */
  common: Record<string, unknown>
  dataset: string
  /** paths named by the summary (model checkpoints, the dataset): a warning when missing here */
  paths: string[]
}

export function snakeCase(header: string): string {
  return header
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

export function typedValue(spelling: string): unknown {
  try {
    const value = parse(spelling)
    return value === null || typeof value === 'object' ? spelling : value
  } catch {
    return spelling
  }
}

const CONFIGURATION: Array<[RegExp, string]> = [
  [/^(num(ber of)? )?epochs?$/i, 'epochs'],
  [/^(num(ber of)? )?gpus?( count)?$/i, 'num_gpus'],
  [/^batch size$/i, 'batch_size'],
  [/^system prompt$/i, 'system_prompt'],
  [/^validation( during training)?$|^enable validation$/i, 'enable_validation'],
]

function fail(file: string, line: number | undefined, message: string): never {
  throw new ExpError(`${file}${line ? `:${line}` : ''}: ${message}`, {code: 'INVALID_SUMMARY', exit: EXIT.failure})
}

/** The lines of the first section whose title matches, with its subsections. */
function under(secs: Section[], title: RegExp): Array<{line: number; text: string}> | undefined {
  const i = secs.findIndex((s) => title.test(s.title))
  if (i === -1) return undefined
  const out = [...secs[i].body]
  for (let j = i + 1; j < secs.length && secs[j].level > secs[i].level; j++)
    out.push({line: secs[j].line, text: ''}, ...secs[j].body)
  return out
}

const looksLikePath = (v: string) => v.includes('/') || /\.\w+$/.test(v)

export function parseSummary(text: string, file: string, columnKeys: Record<string, string> = {}): SummaryPlan {
  const secs = sections(text)
  const first = text.split(/\r?\n/, 1)[0]
  const titleMatch = /^#\s+(.*)$/.exec(first)
  if (!titleMatch) fail(file, 1, 'line 1 must be the title ("# Experiment: name").')
  const title = titleMatch[1].replace(/^experiment\s*(summary)?\s*[:—-]\s*/i, '').trim()
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')

  const runsSection = under(secs, /^all runs$/i)
  if (!runsSection) fail(file, undefined, 'no "All Runs" section (a "## All Runs" heading with a table of runs).')
  const table = firstTable(runsSection)
  if (!table) fail(file, undefined, 'the "All Runs" section has no table.')
  const keys = table.headers.map((h) => columnKeys[h] ?? snakeCase(h))
  for (const required of ['run_name', 'type']) {
    if (!keys.includes(required))
      fail(file, table.line, `the All Runs table has no "${required === 'run_name' ? 'Run Name' : 'Type'}" column.`)
  }
  const columns = table.headers
    .map((header, i) => ({header, key: keys[i]}))
    .filter((c) => !NOT_PARAMETERS.includes(c.key))

  const runs: SummaryRun[] = []
  const controls: SummaryPlan['controls'] = []
  for (const row of table.rows) {
    if (row.cells.length !== table.headers.length)
      fail(file, row.line, `the row has ${row.cells.length} cells, the header has ${table.headers.length}.`)
    const cell = (key: string) => row.cells[keys.indexOf(key)]
    const type = cell('type').toLowerCase()
    const runName = cell('run_name')
    if (!runName) fail(file, row.line, 'the row has no Run Name.')
    if (type === 'control') {
      controls.push({
        cells: Object.fromEntries(table.headers.map((h, i) => [h, row.cells[i]])),
        line: row.line,
        run_name: runName,
      })
      continue
    }
    if (type !== 'fine-tuned' && type !== 'finetuned')
      fail(file, row.line, `Type "${cell('type')}" is neither Fine-tuned nor Control.`)
    const spelling: Record<string, string> = {}
    const values: Record<string, unknown> = {}
    for (const c of columns) {
      const raw = cell(c.key)
      if (raw === '' || raw === '-') continue
      spelling[c.key] = raw
      values[c.key] = typedValue(raw)
    }
    runs.push({line: row.line, run_name: runName, spelling, values})
  }
  if (runs.length === 0)
    fail(file, table.line, `the All Runs table has no Fine-tuned rows (${controls.length} Control) — nothing to train.`)

  // Resources: the dataset, and the model checkpoints (matched to the Model column by name)
  const dataset = (under(secs, /dataset/i) ? listItems(under(secs, /dataset/i)!) : [])
    .map((i) => i.value)
    .find(looksLikePath)
  if (!dataset) fail(file, undefined, 'missing the dataset path (Resources → Dataset: "- Path: /data/train.json").')
  const models =
    (under(secs, /^models?$/i) ?? []).length > 0
      ? listItems(under(secs, /^models?$/i)!).filter((i) => looksLikePath(i.value))
      : []
  const paths = [dataset]
  for (const run of runs) {
    const name = typeof run.values.model === 'string' ? run.values.model : undefined
    const match = name
      ? models.find((m) => m.key === name || path.basename(m.value) === name)
      : models.length === 1
        ? models[0]
        : undefined
    if (!match)
      fail(
        file,
        run.line,
        `missing the model path${name ? ` for ${name}` : ''} (Resources → Models: "- ${name ?? 'Model'}: /models/${name ?? 'name'}").`,
      )
    run.values.model_checkpoint = match.value
    if (!paths.includes(match.value)) paths.push(match.value)
  }

  const common: Record<string, unknown> = {dataset}
  for (const item of listItems(under(secs, /configuration/i) ?? [])) {
    const key = CONFIGURATION.find(([re]) => re.test(item.key))?.[1]
    if (!key) continue
    common[key] = key === 'enable_validation' ? /^(yes|true|on|enabled?|1)$/i.test(item.value) : typedValue(item.value)
  }
  return {columns, common, controls, dataset, paths, runs, slug, title}
}

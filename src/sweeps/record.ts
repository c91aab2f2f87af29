import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

/**
 * `sweep.yaml`: how the variants of an experiment were made (grid axes or a summary table, the naming, the control
 * rows) and the list of variants. It is the authority on what is a variant: a folder not listed is not one.
 */
export const SWEEP_FILE = 'sweep.yaml'
export const SUMMARY_FILE = 'experiment_summary.md'
export const SCAFFOLD_LOG = 'scaffold-runs.log'

export type SetupState = 'ok' | 'failed' | 'none'

export interface SweepVariant {
  name: string
  /** the values set in this variant's config, by key path */
  params: Record<string, unknown>
  /** the summary row this variant came from */
  run_name?: string
  setup: SetupState
  setup_error?: string
}

export interface SweepRecord {
  schema: 1
  source:
    | {kind: 'grid'; axes: Array<{key: string; values: string[]}>}
    | {kind: 'summary'; file: string; title: string; template: string}
  /** the varying keys the names are made of, in order, and the abbreviations used */
  naming: {varying: string[]; abbreviations: Record<string, string>}
  controls: Array<{run_name: string; cells: Record<string, string>}>
  variants: SweepVariant[]
  [key: string]: unknown
}

/**
 * Written as JSON, which is YAML too: the scan reads every sweep.yaml on each `exp list` and JSON.parse is ~20× faster
 * than a YAML parser (bench/sweeps.js). A person may edit it in any YAML style; it is then read as YAML.
 */
export function formatSweep(record: SweepRecord): string {
  return `# How this experiment's variants were made (exp new); exp reads the variants from here. JSON is YAML: edit it as either.\n${JSON.stringify(record, null, 2)}\n`
}

/** The variant names of a sweep.yaml text (used by the scan): a list of names, or an error message. */
export function parseSweep(text: string): {record?: SweepRecord; error?: string} {
  let value: unknown
  try {
    value = parseFast(text)
  } catch (error) {
    return {error: `not valid YAML (${(error as Error).message.split('\n')[0]})`}
  }
  const record = value as SweepRecord | null
  if (!record || typeof record !== 'object' || !Array.isArray(record.variants)) return {error: 'no "variants" list'}
  const bad = record.variants.find(
    (v) => !v || typeof v.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v.name),
  )
  if (bad) return {error: `variant ${JSON.stringify(bad?.name ?? bad)} is not a folder name`}
  for (const v of record.variants) if (!v.params || typeof v.params !== 'object') v.params = {}
  return {record}
}

/** JSON first (what exp writes, after its comment lines), else YAML. */
function parseFast(text: string): unknown {
  const body = text.replace(/^(?:#.*\n)+/, '')
  if (body.trimStart().startsWith('{')) {
    try {
      return JSON.parse(body)
    } catch {}
  }
  // a sweep.yaml a person rewrote as block YAML: only then is the YAML parser loaded (the scan stays synchronous)
  const {parse} = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return parse(text)
}

/** sweep.yaml read synchronously (the scan's walk): the record, or why it cannot be used. */
export function readSweepFile(file: string): {record?: SweepRecord; error?: string} {
  try {
    return parseSweep(readFileSync(file, 'utf8'))
  } catch (error) {
    return {error: `cannot be read (${(error as Error).message.split('\n')[0]})`}
  }
}

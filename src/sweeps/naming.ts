import {EXIT, ExpError} from '../errors.js'
import {sha256} from '../lib/hash.js'

/**
 * Variant names: `{abbreviation}{value}` for the parameters that vary across the sweep only, in column/axis order,
 * joined by `_` (`rank8_lr1e-5`, `Llama-3.2-1B_rank8`). Pure: the scaffold refuses a bad set before writing.
 */
export const DEFAULT_ABBREVIATIONS: Readonly<Record<string, string>> = {
  batch_size: 'bs',
  learning_rate: 'lr',
  lora_rank: 'rank',
  lr: 'lr',
}
/** folders an experiment (or a variant) already uses, and the sweep's own files: never a variant name */
export const RESERVED_NAMES = [
  'runs',
  'reports',
  'checkpoints',
  'artifacts',
  'config.yaml',
  'notes.md',
  'metadata.json',
  'sweep.yaml',
  'experiment_summary.md',
  'scaffold-runs.log',
]
export const MAX_NAME_LENGTH = 60

export interface NamingAxis {
  /** the config key path (`lora_rank`, `model.latent_dim`) */
  key: string
}

export interface NamingRow {
  /** how messages name the row: `row 3 (Llama-3.2-1B-Instruct_rank8_lr1e-5)` */
  label: string
  /** the value of each axis as the person wrote it (`1e-5`), by key; absent or `-`: not applicable */
  spelling: Record<string, string | undefined>
}

/** The model's short name: the last path segment without a trailing `-Instruct` or `-hf`. */
export function shortModelName(value: string): string {
  const last = value.split('/').filter(Boolean).pop() ?? value
  return last.replace(/-(Instruct|hf)$/i, '')
}

/** The prefix a key's values get in names: sweep.abbreviations, then the defaults, then the key's last segment. */
export function abbreviation(key: string, abbreviations: Record<string, string> = {}): string {
  const last = key.split('.').pop()!
  return abbreviations[key] ?? abbreviations[last] ?? DEFAULT_ABBREVIATIONS[key] ?? DEFAULT_ABBREVIATIONS[last] ?? last
}

const isModel = (key: string) => key === 'model' || key.split('.').pop() === 'model'

export function sanitise(part: string): string {
  return part.replace(/[^A-Za-z0-9.-]/g, '-')
}

/** The axes whose spelling differs between rows (in axis order). */
export function varyingAxes(axes: NamingAxis[], rows: NamingRow[]): NamingAxis[] {
  return axes.filter((a) => new Set(rows.map((r) => r.spelling[a.key] ?? '-')).size > 1)
}

/** Names for every row, or an ExpError naming the rows that cannot be told apart (or use a reserved name). */
export function variantNames(
  axes: NamingAxis[],
  rows: NamingRow[],
  abbreviations: Record<string, string> = {},
): string[] {
  if (rows.length < 2) {
    throw new ExpError(
      `a sweep needs at least 2 variants, found ${rows.length}: create a plain experiment instead (exp new NAME --set key=value).`,
      {code: 'NOT_A_SWEEP', exit: EXIT.usage},
    )
  }
  const varying = varyingAxes(axes, rows)
  if (varying.length === 0) {
    throw new ExpError(
      `nothing varies across the ${rows.length} variants (${axes.map((a) => a.key).join(', ') || 'no parameters'}): create a plain experiment instead.`,
      {code: 'NOT_A_SWEEP', exit: EXIT.usage},
    )
  }
  const names = rows.map((row) => nameOf(varying, row, abbreviations))
  const seen = new Map<string, number>()
  for (const [i, name] of names.entries()) {
    if (RESERVED_NAMES.includes(name)) {
      throw new ExpError(
        `${rows[i].label} would be named "${name}", which is reserved for exp's own files and folders; set sweep.abbreviations in exp.yaml.`,
        {code: 'NAME_CLASH', exit: EXIT.usage},
      )
    }
    const j = seen.get(name)
    if (j !== undefined) {
      throw new ExpError(
        `${rows[j].label} and ${rows[i].label} would both be named "${name}"; set sweep.abbreviations in exp.yaml or make the rows differ.`,
        {code: 'NAME_CLASH', exit: EXIT.usage},
      )
    }
    seen.set(name, i)
  }
  return names
}

function nameOf(varying: NamingAxis[], row: NamingRow, abbreviations: Record<string, string>): string {
  const parts = varying.map((axis) => {
    const spelled = row.spelling[axis.key] ?? '-'
    const abbr = abbreviations[axis.key] ?? (isModel(axis.key) ? undefined : abbreviation(axis.key, abbreviations))
    const value = abbr === undefined ? shortModelName(spelled) : spelled === '-' ? 'none' : spelled
    return sanitise(`${abbr ?? ''}${value}`)
  })
  const full = parts.join('_')
  if (full.length <= MAX_NAME_LENGTH) return full
  const hash = sha256(full).slice(0, 8)
  return `${full.slice(0, MAX_NAME_LENGTH - hash.length - 1)}-${hash}`
}

import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {PLACEHOLDER_PATTERN} from './placeholders.js'
import type {Workspace} from './workspace.js'

/**
 * `exp.local.yaml` beside exp.yaml: one person's settings (conda env, output directory base, W&B project, scratch
 * directory), kept out of git by `exp init`. Its values fill `{local.NAME}` in engine arguments, `engines.setup`
 * and the SLURM settings. Flat `name: value` pairs; values are used as text.
 *
 * This module holds no YAML parser: a launch reads the file with loadLocalSettings, which loads the parser only
 * when the file exists (most workspaces have none, and the parser is the largest module a launch would load).
 * local.ts is the synchronous reader for callers that have the parser loaded anyway (sweep scaffolding).
 */
export const LOCAL_FILE = 'exp.local.yaml'

export type LocalSettings = Record<string, string>

const cache = new Map<string, LocalSettings>()

export const localFile = (ws: Workspace): string => path.join(ws.root, LOCAL_FILE)

/** exp.local.yaml's values, parsed once per file and process (a missing or unreadable file has none). */
export async function loadLocalSettings(ws: Workspace): Promise<LocalSettings> {
  const file = localFile(ws)
  const cached = cache.get(file)
  if (cached) return cached
  const text = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return {}
  const {parseYamlDocument} = await import('../config/config-file.js')
  return rememberLocal(file, parseYamlDocument(text, file, 'INVALID_SETTINGS').toJS())
}

export const cachedLocal = (file: string): LocalSettings | undefined => cache.get(file)

/** The parsed document checked (flat name: value pairs), its values as text, and kept for the next call. */
export function rememberLocal(file: string, value: unknown): LocalSettings {
  const document = value ?? {}
  if (typeof document !== 'object' || Array.isArray(document))
    throw new ExpError(`invalid ${LOCAL_FILE}: expected name: value pairs.`, {code: 'INVALID_SETTINGS'})
  const out: LocalSettings = {}
  for (const [k, v] of Object.entries(document as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object')
      throw new ExpError(`invalid ${LOCAL_FILE}: "${k}" must be a plain value, not a list or a mapping.`, {
        code: 'INVALID_SETTINGS',
      })
    out[k] = v === null ? '' : String(v)
  }
  cache.set(file, out)
  return out
}

/** `{local.NAME}` values as placeholder values (`local.conda_env` → its value), after checking `args` use only known names. */
export function localValues(local: LocalSettings, args: readonly string[], where: string): Record<string, string> {
  for (const arg of args) {
    for (const m of arg.matchAll(PLACEHOLDER_PATTERN)) {
      const name = m[1]?.startsWith('local.') ? m[1].slice('local.'.length) : undefined
      if (name !== undefined && !(name in local)) {
        throw new ExpError(`${where} uses {local.${name}}, but "${name}" is not set in ${LOCAL_FILE}.`, {
          code: 'UNKNOWN_LOCAL',
          suggestion: `add "${name}: …" to ${LOCAL_FILE}`,
        })
      }
    }
  }
  return Object.fromEntries(Object.entries(local).map(([k, v]) => [`local.${k}`, v]))
}

/**
 * A backend's settings with `{local.NAME}` filled in every string (and list of strings). Lines of
 * `backends.slurm.setup` are shell: a value placed there is shell-quoted by `quote`.
 */
export function fillLocalSettings(
  local: LocalSettings,
  name: string,
  options: Record<string, unknown>,
  quote: (s: string) => string,
): Record<string, unknown> {
  const fill = (text: string, key: string, quoted: boolean): string => {
    const values = localValues(local, [text], `exp.yaml backends.${name}.${key}`)
    return text.replace(/\{(local\.[A-Za-z0-9_-]+)\}/g, (_, k: string) => (quoted ? quote(values[k]) : values[k]))
  }
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => {
      if (typeof value === 'string') return [key, fill(value, key, false)]
      if (Array.isArray(value))
        return [key, value.map((v) => (typeof v === 'string' ? fill(v, key, key === 'setup') : v))]
      return [key, value]
    }),
  )
}

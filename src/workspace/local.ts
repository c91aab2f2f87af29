import {readFileSync} from 'node:fs'
import path from 'node:path'

import {parseYamlDocument} from '../config/config-file.js'
import {ExpError} from '../errors.js'
import {PLACEHOLDER_PATTERN} from './placeholders.js'
import type {Workspace} from './workspace.js'

/**
 * `exp.local.yaml` beside exp.yaml: one person's settings (conda env, output directory base, W&B project, scratch
 * directory), kept out of git by `exp init`. Its values fill `{local.NAME}` in engine arguments, `engines.setup`
 * and the SLURM settings. Flat `name: value` pairs; values are used as text.
 */
export const LOCAL_FILE = 'exp.local.yaml'

const cache = new Map<string, Record<string, string>>()

export function localSettings(ws: Workspace): Record<string, string> {
  const file = path.join(ws.root, LOCAL_FILE)
  const cached = cache.get(file)
  if (cached) return cached
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  const value = parseYamlDocument(text, file, 'INVALID_SETTINGS').toJS() ?? {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ExpError(`invalid ${LOCAL_FILE}: expected name: value pairs.`, {code: 'INVALID_SETTINGS'})
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
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
export function localPlaceholders(ws: Workspace, args: readonly string[], where: string): Record<string, string> {
  const local = localSettings(ws)
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
export function expandLocalSettings(
  ws: Workspace,
  name: string,
  options: Record<string, unknown>,
  quote: (s: string) => string,
): Record<string, unknown> {
  const fill = (text: string, key: string, quoted: boolean): string => {
    const values = localPlaceholders(ws, [text], `exp.yaml backends.${name}.${key}`)
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

import {readFileSync} from 'node:fs'

import {parseYamlDocument} from '../config/config-file.js'
import {
  cachedLocal,
  fillLocalSettings,
  localFile,
  type LocalSettings,
  localValues,
  rememberLocal,
} from './local-settings.js'
import type {Workspace} from './workspace.js'

/**
 * exp.local.yaml read synchronously, for callers that load the YAML parser anyway (sweep scaffolding, the SLURM
 * sweep). A launch uses local-settings.ts, which loads the parser only when the file exists.
 */
export {LOCAL_FILE} from './local-settings.js'

export function localSettings(ws: Workspace): LocalSettings {
  const file = localFile(ws)
  const cached = cachedLocal(file)
  if (cached) return cached
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  return rememberLocal(file, parseYamlDocument(text, file, 'INVALID_SETTINGS').toJS())
}

/** `{local.NAME}` values as placeholder values (`local.conda_env` → its value), after checking `args` use only known names. */
export function localPlaceholders(ws: Workspace, args: readonly string[], where: string): Record<string, string> {
  return localValues(localSettings(ws), args, where)
}

type AfterSettings = Parameters<typeof fillLocalSettings> extends [LocalSettings, ...infer Rest] ? Rest : never

/** A backend's settings with `{local.NAME}` filled in (see fillLocalSettings: name, options, quote). */
export function expandLocalSettings(ws: Workspace, ...rest: AfterSettings): Record<string, unknown> {
  return fillLocalSettings(localSettings(ws), ...rest)
}

import {EXIT, ExpError} from '../errors.js'
import {closest} from '../lib/closest.js'
import {flattenConfig} from './config-file.js'

/**
 * `exp new --set/--grid` change keys of the base config; a key it does not have is almost always a typo
 * (`model.latent_dm`), and an "experiment" built on it is a copy of the base. So it is refused, naming the closest
 * existing key, unless it is given with `--add KEY=VALUE` (keys meant to be new).
 */
export function refuseUnknownKeys(base: unknown, keys: string[], added: string[], flag = '--set'): void {
  const known = flattenConfig(base)
  const sections = new Set(
    [...known.keys()].flatMap((k) => k.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))),
  )
  const allowed = new Set(added)
  for (const key of keys) {
    if (sections.has(key) || allowed.has(key) || [...allowed].some((a) => key.startsWith(`${a}.`))) continue
    const near = closest(key, known.keys())
    throw new ExpError(`${flag} ${key}: the base config has no such key${near ? ` (closest: ${near})` : ''}.`, {
      code: 'UNKNOWN_KEY',
      exit: EXIT.usage,
      suggestion: near
        ? `${flag} ${near}=…, or --add ${key}=VALUE for a key meant to be new.`
        : `--add ${key}=VALUE for a key meant to be new.`,
    })
  }
}

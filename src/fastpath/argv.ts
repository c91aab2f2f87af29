/**
 * The start-up fast path's argument parser: argv against the command's flag and argument specs in
 * oclif.manifest.json (the same specs oclif parses with, so a flag a command gains or changes is known here at
 * once). It parses only the plain, unambiguous forms; for anything else — an unknown flag, a bad value, a missing
 * argument, `--`, a flag relationship broken — it answers undefined and oclif takes the call, words the error and
 * sets the exit code, exactly as without the fast path. `defs` are the command class's own flag definitions, for a
 * flag's parse function (integer bounds, numbers), which the manifest cannot hold.
 */
import type {Parsed} from './lite-core.js'

export interface ManifestFlag {
  allowNo?: boolean
  char?: string
  default?: unknown
  dependsOn?: string[]
  env?: string
  exclusive?: string[]
  multiple?: boolean
  name: string
  options?: string[]
  relationships?: unknown[]
  required?: boolean
  type: 'boolean' | 'option'
}

export interface ManifestArg {
  default?: unknown
  name: string
  options?: string[]
  required?: boolean
}

export interface ManifestCommand {
  args: Record<string, ManifestArg>
  flags: Record<string, ManifestFlag>
  strict?: boolean
}

type FlagDef = {default?: unknown; parse?: (input: string) => Promise<unknown>}

export async function parseArgv(
  argv: string[],
  spec: ManifestCommand,
  defs: Record<string, FlagDef>,
): Promise<Parsed | undefined> {
  const flags: Record<string, unknown> = {}
  const given = new Set<string>()
  const positional: string[] = []
  const byChar = new Map(
    Object.values(spec.flags)
      .filter((f) => f.char)
      .map((f) => [`-${f.char}`, f]),
  )
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (!token.startsWith('-')) {
      positional.push(token)
      continue
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1
    const name = eq === -1 ? token : token.slice(0, eq)
    let flag = name.startsWith('--') ? spec.flags[name.slice(2)] : byChar.get(name)
    let negated = false
    if (!flag && name.startsWith('--no-')) {
      flag = spec.flags[name.slice(5)]
      negated = true
      if (!flag?.allowNo) return undefined
    }
    if (!flag) return undefined
    if (flag.type === 'boolean') {
      if (eq !== -1 || (given.has(flag.name) && flags[flag.name] === negated)) return undefined
      flags[flag.name] = !negated
    } else {
      const raw = eq === -1 ? argv[++i] : token.slice(eq + 1)
      if (raw === undefined || raw === '' || raw.startsWith('-')) return undefined
      // oclif lets a repeatable flag take the words after it; those are left to oclif
      if (flag.multiple && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) return undefined
      if (!flag.multiple && given.has(flag.name)) return undefined
      const value = await valueOf(flag, raw, defs[flag.name])
      if (value === undefined) return undefined
      flags[flag.name] = flag.multiple ? [...((flags[flag.name] as unknown[]) ?? []), value] : value
    }
    given.add(flag.name)
  }
  for (const flag of Object.values(spec.flags)) {
    if (flag.relationships || (flag.required && !given.has(flag.name))) return undefined
    if (given.has(flag.name) && (flag.exclusive ?? []).some((other) => given.has(other))) return undefined
    if (given.has(flag.name) && (flag.dependsOn ?? []).some((other) => !given.has(other))) return undefined
    if (given.has(flag.name)) continue
    const fromEnv = flag.env === undefined ? undefined : process.env[flag.env]
    if (fromEnv !== undefined) {
      if (flag.type === 'boolean' || fromEnv === '') return undefined
      const value = await valueOf(flag, fromEnv, defs[flag.name])
      if (value === undefined) return undefined
      flags[flag.name] = flag.multiple ? [value] : value
    } else if (typeof defs[flag.name]?.default === 'function') {
      return undefined
    } else if (flag.default !== undefined) {
      flags[flag.name] = flag.default
    }
  }
  const args: Record<string, unknown> = {}
  const specs = Object.values(spec.args)
  // a command that takes many (`static strict = false`, e.g. archive's names) gets them all in argv, as from oclif
  if (positional.length > specs.length && spec.strict !== false) return undefined
  for (const [i, arg] of specs.entries()) {
    const value = positional[i] ?? arg.default
    if (value === undefined && arg.required) return undefined
    if (value !== undefined && arg.options && !arg.options.includes(String(value))) return undefined
    args[arg.name] = value
  }
  return {args, argv: positional, flags}
}

async function valueOf(flag: ManifestFlag, raw: string, def: FlagDef | undefined): Promise<unknown> {
  if (flag.options && !flag.options.includes(raw)) return undefined
  if (!def?.parse) return raw
  try {
    return await def.parse(raw)
  } catch {
    return undefined // oclif words the error
  }
}

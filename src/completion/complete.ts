import {experimentNames, type NameDirs, runIds, variantNames, type Where} from './names.js'

/** What completion needs of oclif.manifest.json (the same specs oclif parses with). */
export interface CompletionManifest {
  commands: Record<
    string,
    {
      aliases?: string[]
      args: Record<string, {options?: string[]}>
      flags: Record<
        string,
        {
          aliases?: string[]
          char?: string
          multiple?: boolean
          name: string
          options?: string[]
          type: 'boolean' | 'option'
        }
      >
      hidden?: boolean
      strict?: boolean
    }
  >
}

/**
 * Which experiments a command's positional arguments name (README "Names"): archive and the commands that act on a
 * live experiment take the active ones, restore the archived ones, the readers both. A command not listed here
 * takes no experiment names (new, init, graph node ids, ...).
 */
export const NAME_ARGS: Record<string, Where> = {
  archive: 'active',
  cancel: 'active',
  collect: 'active',
  compare: 'all',
  diff: 'all',
  launch: 'active',
  logs: 'all',
  mark: 'active',
  promote: 'active',
  'remote:push': 'active',
  report: 'all',
  restore: 'archived',
  runs: 'all',
  show: 'all',
  'sweep:setup': 'active',
  verify: 'all',
  watch: 'active',
}

/** Flags whose value is an experiment name. */
const NAME_FLAGS = new Set(['experiment'])

export interface CompleteOptions {
  manifest: CompletionManifest
  /** the workspace's experiments/ and archive folders, or undefined outside a workspace */
  dirs?: NameDirs
}

/**
 * The candidates for the last of `words` (the words after `exp`, the last one being typed, possibly empty): command
 * and topic names, flag names, enum flag values, experiment and `EXP/VARIANT` names, run ids after `--run`. Empty
 * means "nothing of exp's": the shell script then completes file names.
 */
export function complete(words: string[], options: CompleteOptions): string[] {
  const cur = words.at(-1) ?? ''
  const typed = words.slice(0, -1)
  const visible = Object.entries(options.manifest.commands).filter(([, c]) => !c.hidden)
  // the command: the longest id whose words were all typed before the current one
  let id: string | undefined
  for (const [candidate] of visible) {
    const parts = candidate.split(':')
    if (parts.every((p, i) => typed[i] === p) && (!id || parts.length > id.split(':').length)) id = candidate
  }
  if (!id)
    return commandWords(
      visible.map(([k]) => k),
      typed,
      cur,
    )
  const spec = options.manifest.commands[id]
  const rest = typed.slice(id.split(':').length)
  const flagOf = (word: string) =>
    Object.values(spec.flags).find(
      (f) => word === `--${f.name}` || (f.char && word === `-${f.char}`) || f.aliases?.some((a) => word === `--${a}`),
    )
  const previous = rest.length > 0 ? flagOf(rest.at(-1)!) : undefined
  if (previous?.type === 'option') return flagValue(previous, positionals(rest, flagOf), cur, options)
  if (cur.startsWith('-')) return flagNames(spec, rest, cur)
  const where = NAME_ARGS[id]
  const position = positionals(rest, flagOf).length
  const arg = Object.values(spec.args)[position]
  if (arg?.options) return arg.options.filter((o) => o.startsWith(cur))
  if (!where || !options.dirs || (!arg && spec.strict !== false)) return []
  return names(options.dirs, where, cur)
}

function commandWords(ids: string[], typed: string[], cur: string): string[] {
  const words = ids
    .map((k) => k.split(':'))
    .filter((parts) => parts.length > typed.length && typed.every((t, i) => parts[i] === t))
    .map((parts) => parts[typed.length])
  return [...new Set(words)].filter((w) => w.startsWith(cur)).sort()
}

function positionals(rest: string[], flagOf: (word: string) => {type: string} | undefined): string[] {
  const out: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const flag = flagOf(rest[i])
    if (flag?.type === 'option') i++
    else if (!rest[i].startsWith('-')) out.push(rest[i])
  }
  return out
}

function flagValue(
  flag: {name: string; options?: string[]},
  args: string[],
  cur: string,
  options: CompleteOptions,
): string[] {
  if (flag.options) return flag.options.filter((o) => o.startsWith(cur))
  if (!options.dirs) return []
  if (flag.name === 'run') return runIds(options.dirs, args[0], cur)
  if (NAME_FLAGS.has(flag.name)) return names(options.dirs, 'active', cur)
  return []
}

function flagNames(spec: CompletionManifest['commands'][string], rest: string[], cur: string): string[] {
  const flags = Object.values(spec.flags).filter((f) => f.multiple || !rest.includes(`--${f.name}`))
  return [...flags.map((f) => `--${f.name}`), '--help'].filter((f) => f.startsWith(cur)).sort()
}

function names(dirs: NameDirs, where: Where, cur: string): string[] {
  return cur.includes('/') ? variantNames(dirs, where, cur) : experimentNames(dirs, where, cur)
}

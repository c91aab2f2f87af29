import {parse} from 'yaml'

import type {ConfigChange} from '../config/config-file.js'

/**
 * A config's changes against its base without parsing the config, when that is provably the same answer: the two
 * texts have the same lines except a few `key: scalar` lines (same indentation, same key) inside plain block
 * mappings. The key path is read from the base's indentation, each old value is checked against the parsed base,
 * and each value is read by the same YAML parser. Anything else (anchors, tags, block or flow collections,
 * sequences, quoted keys, more lines changed) returns undefined: the caller parses the config whole.
 * This is what `exp new --set` produces, so `exp report --all` parses one base instead of a thousand configs.
 */
const KEY_VALUE = /^( *)([A-Za-z_][\w-]*):[ ]+(\S.*)$/
const KEY_ONLY = /^( *)([A-Za-z_][\w-]*):[ ]*(#.*)?$/
const BLANK = /^[ ]*(#.*)?$/
const MAX_CHANGED_LINES = 16

export interface QuickBase {
  text: string
  value: unknown
  lines?: string[]
}

/** YAML 1.2 core schema's plain scalars in their everyday spellings; anything rarer goes to the YAML parser. */
const CORE: Array<[RegExp, (s: string) => unknown]> = [
  [/^[-+]?\d+$/, (s) => Number.parseInt(s, 10)],
  [/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/, (s) => Number.parseFloat(s)],
  [/^(true|True|TRUE)$/, () => true],
  [/^(false|False|FALSE)$/, () => false],
  [/^(null|Null|NULL|~)$/, () => null],
  [/^[A-Za-z][\w./-]*$/, (s) => s],
]

function scalar(text: string): {value: unknown} | undefined {
  if (/^[&*!|>%@`{[]/.test(text)) return undefined
  const plain = text.replace(/\s+#.*$/, '')
  for (const [pattern, read] of CORE) if (pattern.test(plain)) return {value: read(plain)}
  try {
    const value = parse(text, {prettyErrors: false, uniqueKeys: true})
    return value !== null && typeof value === 'object' ? undefined : {value}
  } catch {
    return undefined
  }
}

/** The keys from the top level down to line i's key, or undefined when a parent is not a plain `key:` line. */
function keyPath(lines: string[], i: number, indent: number, key: string): string[] | undefined {
  const out = [key]
  let level = indent
  for (let j = i - 1; j >= 0 && level > 0; j--) {
    const line = lines[j]
    if (BLANK.test(line)) continue
    const lead = line.length - line.trimStart().length
    if (lead >= level) continue
    const parent = KEY_ONLY.exec(line)
    if (!parent || line.includes('\t')) return undefined
    out.unshift(parent[2])
    level = lead
  }
  return level === 0 ? out : undefined
}

function valueAt(root: unknown, keys: string[]): unknown {
  let at = root
  for (const k of keys) {
    if (!at || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, k)) return undefined
    at = (at as Record<string, unknown>)[k]
  }
  return at
}

export function quickDiff(base: QuickBase, text: string): ConfigChange[] | undefined {
  if (text === base.text) return []
  const a = (base.lines ??= base.text.split('\n'))
  const b = text.split('\n')
  if (a.length !== b.length) return undefined
  const changes = new Map<string, ConfigChange>()
  let changed = 0
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue
    if (++changed > MAX_CHANGED_LINES) return undefined
    const old = KEY_VALUE.exec(a[i])
    const now = KEY_VALUE.exec(b[i])
    if (!old || !now || old[1] !== now[1] || old[2] !== now[2] || a[i].includes('\t') || b[i].includes('\t')) return undefined
    const keys = keyPath(a, i, old[1].length, old[2])
    const from = scalar(old[3])
    const to = scalar(now[3])
    if (!keys || !from || !to) return undefined
    const key = keys.join('.')
    // the base, parsed, must hold exactly the old value there: else the path was not what it seems
    if (changes.has(key) || JSON.stringify(valueAt(base.value, keys)) !== JSON.stringify(from.value)) return undefined
    if (JSON.stringify(from.value) !== JSON.stringify(to.value)) changes.set(key, {from: from.value, key, to: to.value})
  }
  return [...changes.keys()].sort().map((k) => changes.get(k)!)
}

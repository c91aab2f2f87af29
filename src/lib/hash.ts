import type * as NodeCrypto from 'node:crypto'
import {createReadStream} from 'node:fs'
import {createRequire} from 'node:module'

let loaded: typeof NodeCrypto | undefined
/** node:crypto, loaded when first used: with its stream classes it cost every command ≈ 3 ms at start-up */
function nodeCrypto(): typeof NodeCrypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto
  return loaded
}

/** crypto.hash (Node 20.12+): one call, no Hash object; a few times quicker for the many small texts hashed. */
type OneShot = (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string

export function sha256(data: string | Uint8Array): string {
  const crypto = nodeCrypto()
  const oneShot = (crypto as {hash?: OneShot}).hash
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex')
}

export async function sha256File(file: string): Promise<string> {
  const hash = nodeCrypto().createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

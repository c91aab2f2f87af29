import {createReadStream} from 'node:fs'

import {nodeCrypto} from './node-crypto.js'

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

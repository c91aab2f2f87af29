import crypto, {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'

/** crypto.hash (Node 20.12+): one call, no Hash object; a few times quicker for the many small texts hashed. */
const oneShot = (crypto as {hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string}).hash

export function sha256(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex')
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

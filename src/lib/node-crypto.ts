import type * as NodeCrypto from 'node:crypto'
import {createRequire} from 'node:module'

let loaded: typeof NodeCrypto | undefined

/**
 * node:crypto, loaded on first use: with its stream classes it costs ≈ 3 ms, which a command that never hashes,
 * locks or writes (`exp list`, `exp runs`) should not pay at start-up. A synchronous require, so callers stay plain
 * functions (sha256 is called in loops).
 */
export function nodeCrypto(): typeof NodeCrypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto
  return loaded
}

/** `bytes` random bytes as hex: temporary names, lock nonces, run ids. */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex')
}

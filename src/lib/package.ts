import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The installed package's root (holds engines/ and the golden config): the nearest folder above this module with
 * a package.json, so it holds for src/lib (tests), the bundle's entry (dist/) and its chunks (dist/chunks/) alike.
 */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`exp: no package.json above ${from}`)
  }
}

let version: string | undefined
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}).version
  return version
}

export const GOLDEN_CONFIG = path.join(PACKAGE_ROOT, 'configs', 'train_burgers_golden.yaml')
export const EMBEDDED_ENGINE_DIR = path.join(PACKAGE_ROOT, 'engines', 'burgers')

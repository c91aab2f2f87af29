import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The installed package's root (holds engines/ and the golden config), from src/lib or dist/lib alike. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

let version: string | undefined
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}).version
  return version
}

export const GOLDEN_CONFIG = path.join(PACKAGE_ROOT, 'configs', 'train_burgers_golden.yaml')
export const EMBEDDED_ENGINE_DIR = path.join(PACKAGE_ROOT, 'engines', 'burgers')

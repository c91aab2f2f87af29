import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {fileStamp} from '../lib/time.js'
import {HISTORY_DIR} from './plan.js'

/**
 * The kept versions of a production file: `<production dir>/.history/<stem>.<UTC stamp><ext>` (restorable) and
 * `<stem>.<UTC stamp>.rolled-back<ext>` (a version a rollback replaced: never restored again).
 */
export const ROLLED_BACK = '.rolled-back'

function splitExt(file: string): {stem: string; ext: string} {
  const base = path.basename(file)
  const m = /^(.*?)(\.ya?ml)$/i.exec(base)
  return m ? {ext: m[2], stem: m[1]} : {ext: '', stem: base}
}

/** `<dir>/.history/<stem>.<fileStamp><ext>`, with -2, -3… when two versions are kept within the same second. */
export function historyPath(target: string, now: Date, marker = ''): string {
  const {ext, stem} = splitExt(target)
  const dir = path.join(path.dirname(target), HISTORY_DIR)
  const stamp = fileStamp(now)
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${stem}.${stamp}${n === 1 ? '' : `-${n}`}${marker}${ext}`)
    if (!existsSync(file)) return file
  }
}

/** The kept versions of a production file that rollback can restore, newest first (rolled-back copies excluded). */
export async function keptVersions(target: string): Promise<string[]> {
  const {ext, stem} = splitExt(target)
  const dir = path.join(path.dirname(target), HISTORY_DIR)
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.(\\d{8}T\\d{6}Z)(?:-(\\d+))?${escapeRegExp(ext)}$`)
  return names
    .map((name) => ({m: pattern.exec(name), name}))
    .filter((x) => x.m)
    .sort((a, b) => b.m![1].localeCompare(a.m![1]) || Number(b.m![2] ?? 1) - Number(a.m![2] ?? 1))
    .map((x) => path.join(dir, x.name))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A production file named by a person: a path (relative to cwd), or a file name in the production folder. */
export function resolveProductionFile(file: string, productionDir: string, cwd: string): string {
  if (file.includes('/') || file.includes('\\')) return path.resolve(cwd, file)
  return path.join(productionDir, file)
}

import {readFileSync, promises as fs} from 'node:fs'
import path from 'node:path'

/**
 * `exp new` builds an experiment in a hidden `.new-<name>-<random>` folder and renames it into place. The folder is
 * exp's only when it holds this marker file naming the folder itself: a `.new-ideas/` a person made is never
 * removed, and `exp list` reports it as not an experiment.
 */
export const NEW_MARKER = '.exp-new-in-progress'
export const NEW_PREFIX = '.new-'

export async function writeNewMarker(folder: string): Promise<void> {
  await fs.writeFile(path.join(folder, NEW_MARKER), `${path.basename(folder)}\n`, {flag: 'wx'})
}

export function isExpsNewFolder(folder: string): boolean {
  try {
    return readFileSync(path.join(folder, NEW_MARKER), 'utf8').trim() === path.basename(folder)
  } catch {
    return false
  }
}

/** `.new-*` entries of the experiments folder: exp's own (left by a killed exp new) and the others. */
export async function newFolders(experiments: string): Promise<{ours: string[]; others: string[]}> {
  const names = (await fs.readdir(experiments).catch(() => [] as string[])).filter((n) => n.startsWith(NEW_PREFIX))
  const ours = names.filter((n) => isExpsNewFolder(path.join(experiments, n)))
  return {others: names.filter((n) => !ours.includes(n)), ours}
}

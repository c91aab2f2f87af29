/**
 * `exp __complete WORDS...` (bin/run.cjs calls this before oclif loads; the scripts `exp completion bash|zsh` print
 * call it on every Tab): one candidate a line for the last word. It reads the manifest and, inside a workspace, the
 * folder names of experiments/ and the archive (exp.yaml through the settings cache): no scan, no classification.
 * It never fails: anything wrong prints nothing, and the shell falls back to file names.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {PACKAGE_ROOT} from '../lib/package.js'
import {loadSettings} from '../workspace/settings-cache.js'
import {findWorkspaceRoot, WORKSPACE_FILE, workspaceAt} from '../workspace/workspace.js'
import {complete, type CompletionManifest} from './complete.js'
import type {NameDirs} from './names.js'

export async function main(words: string[]): Promise<void> {
  try {
    const manifest = JSON.parse(
      readFileSync(path.join(PACKAGE_ROOT, 'oclif.manifest.json'), 'utf8'),
    ) as CompletionManifest
    const candidates = complete(words.length > 0 ? words : [''], {dirs: await nameDirs(words), manifest})
    if (candidates.length > 0) process.stdout.write(candidates.join('\n') + '\n')
  } catch {
    // completion must never print an error into a person's command line
  }
}

async function nameDirs(words: string[]): Promise<NameDirs | undefined> {
  const flag = words.indexOf('--root')
  const given = flag !== -1 && flag < words.length - 2 ? words[flag + 1] : process.env.EXP_ROOT
  const root = given ? path.resolve(given) : findWorkspaceRoot(process.cwd())
  if (!root) return undefined
  const ws = workspaceAt(root, await loadSettings(path.join(root, WORKSPACE_FILE)))
  return {archive: ws.paths.archive, experiments: ws.paths.experiments}
}

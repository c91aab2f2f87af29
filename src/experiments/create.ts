import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {applyOverrides, type ConfigChange, diffConfigs, formatValue, parseOverride, readConfigDocument} from '../config/config-file.js'
import {refuseUnknownKeys} from '../config/known-keys.js'
import {EXIT, ExpError} from '../errors.js'
import {fsyncDir} from '../lib/atomic.js'
import {sha256} from '../lib/hash.js'
import {packageVersion} from '../lib/package.js'
import {type Metadata, serializeMetadata} from '../records/metadata.js'
import {type Clock, localDate} from '../lib/time.js'
import {NEW_MARKER, writeNewMarker} from '../workspace/new-marker.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {validateDate, validateName} from './naming.js'
import {CONFIG_FILE, METADATA_FILE, NOTES_FILE} from './scan.js'

export interface NewExperimentOptions {
  name: string
  /** base config: a path (absolute, or relative to cwd or the workspace) or a file name in configs/ */
  from?: string
  sets?: string[]
  /** overrides whose keys are meant to be new (`--add`): every other key must exist in the base config */
  adds?: string[]
  /** keys a sweep's --grid will set: they too must exist in the base config (or be --add'ed) */
  gridKeys?: string[]
  hypothesis?: string
  date?: string
  now: Clock
  cwd?: string
}

export interface NewExperimentResult {
  name: string
  dir: string
  base: string
  changes: ConfigChange[]
  /** overridden keys that were not in the base config (possible typos) */
  newKeys: string[]
  metadata: Record<string, unknown>
}

/** Where a base config named by a person is: a path, or a name (with or without .yaml) in configs/. */
export function resolveBaseConfig(ws: Workspace, from: string | undefined, cwd: string): string {
  if (!from) return path.resolve(ws.root, ws.settings.base_config)
  const candidates = [path.resolve(cwd, from), path.resolve(ws.root, from), path.join(ws.paths.configs, from), path.join(ws.paths.configs, `${from}.yaml`)]
  const found = candidates.find((c) => existsSync(c))
  if (!found) throw new ExpError(`base config "${from}" not found (looked in ${cwd}, the workspace and ${relativeToRoot(ws, ws.paths.configs)}/).`, {code: 'NO_CONFIG'})
  return found
}

export interface PreparedExperiment extends NewExperimentResult {
  configText: string
  /** the config as a YAML document (with the --set overrides), for a sweep to derive its variants from */
  doc: import('yaml').Document
  notes: string
  dirName: string
}

/** Everything `exp new` will write, decided and validated before the disk is touched. */
export async function prepareExperiment(ws: Workspace, options: NewExperimentOptions): Promise<PreparedExperiment> {
  validateName(options.name)
  const now = options.now()
  const date = options.date ?? localDate(now)
  validateDate(date)
  const dirName = `${date}-${options.name}`
  const base = resolveBaseConfig(ws, options.from, options.cwd ?? process.cwd())
  const {doc, text: baseText} = await readConfigDocument(base)
  const baseValue = doc.toJS()
  const overrides = [...(options.sets ?? []), ...(options.adds ?? [])].map((s) => parseOverride(s))
  const added = (options.adds ?? []).map((a) => parseOverride(a).key)
  refuseUnknownKeys(baseValue, overrides.map((o) => o.key), added)
  refuseUnknownKeys(baseValue, options.gridKeys ?? [], added, '--grid')
  const newKeys = applyOverrides(doc, overrides)
  const configText = overrides.length > 0 ? doc.toString() : baseText
  const changes = diffConfigs(baseValue, doc.toJS())

  const git = await gitState(ws.root)
  const metadata: Metadata = {
    schema: 1,
    name: dirName,
    slug: options.name,
    date,
    created_at: now.toISOString(),
    hypothesis: options.hypothesis ?? null,
    base_config: {path: relativeToRoot(ws, base), sha256: sha256(baseText)},
    config_sha256: sha256(configText),
    overrides: overrides.map((o) => ({key: o.key, value: o.value})),
    git,
    exp_version: packageVersion(),
  }
  const notes = notesTemplate(dirName, relativeToRoot(ws, base), options.hypothesis, changes, date)
  const dir = path.join(ws.paths.experiments, dirName)
  return {base, changes, configText, dir, dirName, doc, metadata, name: dirName, newKeys, notes}
}

export async function createExperiment(ws: Workspace, options: NewExperimentOptions): Promise<NewExperimentResult> {
  const p = await prepareExperiment(ws, options)
  await installExperiment(ws, p.dirName, async (tmp) => {
    await fs.writeFile(path.join(tmp, CONFIG_FILE), p.configText)
    await fs.writeFile(path.join(tmp, NOTES_FILE), p.notes)
    await fs.writeFile(path.join(tmp, METADATA_FILE), serializeMetadata(p.metadata))
  })
  return {base: p.base, changes: p.changes, dir: p.dir, metadata: p.metadata, name: p.name, newKeys: p.newKeys}
}

/**
 * Under the workspace lock: refuse a name in use, build the experiment whole in a hidden `.new-<name>-<random>`
 * folder with `write`, then one rename: a crash leaves either nothing or the whole experiment (a hidden folder left
 * by a killed process is removed by recovery). `after` runs under the same lock once it is in place.
 */
export async function installExperiment<T = void>(ws: Workspace, dirName: string, write: (tmp: string) => Promise<void>, after?: (dir: string) => Promise<T>): Promise<T | undefined> {
  const dir = path.join(ws.paths.experiments, dirName)
  return withWorkspaceLock(ws, async () => {
    const archived = path.join(ws.paths.archive, dirName)
    if (existsSync(dir)) throw new ExpError(`${relativeToRoot(ws, dir)} already exists; it is never overwritten.`, {code: 'EXISTS', exit: EXIT.failure, suggestion: 'choose another name.'})
    if (existsSync(archived)) throw new ExpError(`${relativeToRoot(ws, archived)} already exists in the archive; choose another name.`, {code: 'EXISTS'})
    await fs.mkdir(ws.paths.experiments, {recursive: true})
    const tmp = path.join(ws.paths.experiments, `.new-${dirName}-${randomBytes(4).toString('hex')}`)
    await fs.mkdir(tmp)
    try {
      await writeNewMarker(tmp)
      await write(tmp)
      await fs.rename(tmp, dir)
      await fsyncDir(ws.paths.experiments)
      await fs.rm(path.join(dir, NEW_MARKER), {force: true})
    } catch (error) {
      await fs.rm(tmp, {force: true, recursive: true})
      throw error
    }
    return after ? after(dir) : undefined
  })
}

export function notesTemplate(name: string, base: string, hypothesis: string | undefined, changes: ConfigChange[], date: string): string {
  const changeLines = changes.length === 0 ? ['None: identical to the base config.'] : changes.map((c) => `- \`${c.key}\`: ${formatValue(c.from)} → ${formatValue(c.to)}`)
  return [
    `# ${name}`,
    '',
    `Created ${date} from \`${base}\`.`,
    '',
    '## Hypothesis',
    '',
    hypothesis?.trim() || '_What do you expect to happen, and why?_',
    '',
    '## Config changes',
    '',
    ...changeLines,
    '',
    '## Results',
    '',
    'Status: pending',
    '',
    '<!-- The verdict: `exp mark NAME --success --reason "why"` (or --failed) appends a line such as',
    '     "Status: ✓ NRMSE 0.05, beats the golden config" (✗ for a failure), or write one yourself: the last',
    '     line starting with Status: that holds ✓ or ✗ is the verdict, and it ranks above every report. -->',
    '',
  ].join('\n')
}

/** The workspace's git commit, when it is a git checkout (null otherwise). */
async function gitState(root: string): Promise<{commit: string; dirty: boolean} | null> {
  const head = await execa('git', ['-C', root, 'rev-parse', 'HEAD'], {reject: false, timeout: 5000})
  if (head.exitCode !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return null
  const status = await execa('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], {reject: false, timeout: 5000})
  return {commit: head.stdout.trim(), dirty: status.exitCode === 0 ? status.stdout.trim() !== '' : false}
}

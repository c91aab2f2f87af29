import {promises as fs} from 'node:fs'
import path from 'node:path'

import {listExperimentNames} from '../experiments/resolve.js'
import {METADATA_FILE} from '../experiments/scan.js'
import {sha256} from '../lib/hash.js'
import {keptVersions} from '../promote/history.js'
import {type Provenance, splitProvenance} from '../promote/promote.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'

/**
 * `exp configs`: the catalog of the production folder. Each config is labelled from the provenance header exp
 * writes on promotion: `promoted` when its content still has the sha256 the header records, `edited since
 * promotion` when not, `no provenance` for a file exp did not write, `base config` for exp.yaml's base_config
 * (whatever its header). With its kept history versions (.history/) and the number of experiments created from it
 * (their metadata.json base_config.sha256 is the file's sha256, now or in a kept version).
 */
export type ConfigLabel = 'base config' | 'promoted' | 'edited since promotion' | 'no provenance'

export interface CatalogEntry {
  file: string
  label: ConfigLabel
  provenance: Provenance | null
  /** the whole file, as exp new records a base */
  sha256: string
  history: string[]
  experiments: number
}

export interface CatalogResult {
  production_dir: string
  configs: CatalogEntry[]
  /** configs other than the base config with no provenance or edited since promotion (what --check fails on) */
  problems: string[]
}

export async function configCatalog(ws: Workspace): Promise<CatalogResult> {
  const dir = productionDir(ws)
  const base = path.resolve(ws.root, ws.settings.base_config)
  const names = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((n) => /\.ya?ml$/i.test(n) && !n.startsWith('.'))
    .sort()
  const created = await baseShaCounts(ws)
  const configs: CatalogEntry[] = []
  for (const name of names) {
    const file = path.join(dir, name)
    const stat = await fs.stat(file).catch(() => undefined)
    if (!stat?.isFile()) continue
    const text = await fs.readFile(file, 'utf8')
    const {body, provenance} = splitProvenance(text)
    const history = await keptVersions(file)
    const shas = [sha256(text), ...(await Promise.all(history.map(async (h) => sha256(await fs.readFile(h, 'utf8')))))]
    const label: ConfigLabel =
      file === base
        ? 'base config'
        : !provenance
          ? 'no provenance'
          : provenance.config_sha256 === sha256(body)
            ? 'promoted'
            : 'edited since promotion'
    configs.push({
      experiments: [...new Set(shas)].reduce((n, s) => n + (created.get(s) ?? 0), 0),
      file: relativeToRoot(ws, file),
      history: history.map((h) => relativeToRoot(ws, h)),
      label,
      provenance: provenance ?? null,
      sha256: shas[0],
    })
  }
  const problems = configs
    .filter((c) => c.label === 'no provenance' || c.label === 'edited since promotion')
    .map((c) => `${c.file}: ${c.label}`)
  return {configs, problems, production_dir: relativeToRoot(ws, dir)}
}

export function productionDir(ws: Workspace): string {
  return path.resolve(ws.root, ws.settings.promote.production_dir ?? ws.paths.configs)
}

/** How many experiments (active and archived) were created from each base config content, by its sha256. */
async function baseShaCounts(ws: Workspace): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const {location, name} of await listExperimentNames(ws)) {
    const file = path.join(location === 'experiments' ? ws.paths.experiments : ws.paths.archive, name, METADATA_FILE)
    let sha: unknown
    try {
      sha = (JSON.parse(await fs.readFile(file, 'utf8')) as {base_config?: {sha256?: unknown}})?.base_config?.sha256
    } catch {
      continue // no metadata, or not JSON: not created by exp new
    }
    if (typeof sha === 'string') counts.set(sha, (counts.get(sha) ?? 0) + 1)
  }
  return counts
}

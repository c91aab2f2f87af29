import {readdirSync} from 'node:fs'
import path from 'node:path'

import type {Classified} from '../experiments/listing.js'
import {sha256} from '../lib/hash.js'
import {packageVersion} from '../lib/package.js'
import type {Workspace} from '../workspace/workspace.js'

/** What `exp report --all` knows of the pages before it builds any: which are missing, and what each one shows. */

/**
 * What a page is built from, hashed: the classification, every file under the experiment (the scan's newest mtime,
 * count and bytes), its reports and runs, its base config's mtime and size, exp's version. Equal keys, same page.
 */
export function pageKey(
  ws: Workspace,
  item: Classified,
  file: string,
  indexLink: string | undefined,
  baseStat: (f: string) => string,
): string {
  const {classification: c, snapshot: s} = item
  const baseRel = (s.metadata?.base_config as {path?: unknown} | undefined)?.path
  return sha256(
    JSON.stringify([
      packageVersion(),
      file,
      indexLink ?? null,
      c.status,
      c.reason,
      s.location,
      s.lastModified,
      s.fileCount,
      s.bytes,
      s.reports.map((r) => [r.path, r.time]),
      s.runs.map((r) => [r.run_id, r.state, r.updated_at]),
      typeof baseRel === 'string' ? baseStat(path.resolve(ws.root, baseRel)) : null,
    ]),
  )
}

/**
 * The experiment folders that have no page yet, from three directory listings (no scan): while the scan runs, the
 * writer thread creates as many temporary files ahead and reads their loss curves. A page that exists but changed
 * gets its file when it is written (and its curves read then).
 * Also the names in reports/, so a page that is not there is not looked for again.
 */
export function missingPages(ws: Workspace): {missing: string[]; pages: Set<string>} {
  const names = (dir: string) => {
    try {
      return readdirSync(dir, {withFileTypes: true})
    } catch {
      return []
    }
  }
  const pages = new Set(names(ws.paths.reports).map((d) => d.name))
  const missing: string[] = []
  for (const base of [ws.paths.experiments, ws.paths.archive]) {
    // base is a normalized absolute path and a listed name has no separator: path.join's answer, without its
    // normalizing pass over each of 1,000 paths (1.4-7 ms against 0.1 ms, on the way to the scan)
    for (const d of names(base))
      if (d.isDirectory() && !d.name.startsWith('.') && !pages.has(`${d.name}.html`))
        missing.push(`${base}${path.sep}${d.name}`)
  }
  return {missing, pages}
}

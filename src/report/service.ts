import {existsSync, readFileSync, type Stats, statSync} from 'node:fs'
import path from 'node:path'

import {type BaseConfig, detailsOf, type ExperimentDetails, readBaseConfig} from '../experiments/details.js'
import {type Classified, classifyWorkspace, toListed} from '../experiments/listing.js'
import {resolveExperiment} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import {raiseTierUpBudget, type RaisedBudget} from '../lib/tier-up.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {sparkline} from './charts.js'
import {renderExperimentPage} from './experiment-page.js'
import {gatherPage, type LossCurve, lossCurves} from './gather.js'
import type {SafeHtml} from './html.js'
import {type IndexEntry, indexListing, type IndexListing, renderIndexPage} from './index-page.js'
import {checkPageTarget, isExpPage, privateFolder, readPageHead, writePage} from './out.js'
import {openInBrowser} from './open-browser.js'
import {missingPages, pageKey} from './page-state.js'
import {pageThread} from './page-thread.js'
import {type ReadAhead, readAheadOf} from './read-ahead.js'

export const INDEX_FILE = 'index.html'

export interface ReportOptions {
  now: Clock
  log?: (line: string) => void
}

export interface ReportResult {
  experiment: string
  /** workspace-relative when inside it */
  file: string
  opened?: boolean
  warnings: string[]
}

export interface ReportAllResult {
  index: string
  pages: number
  /** pages whose content changed (the others were left as they were) */
  pages_changed: number
  experiments: number
  archived: number
  warnings: string[]
}

/** The default page of an experiment: reports/<name>.html. */
export function pageFile(ws: Workspace, name: string): string {
  return path.join(ws.paths.reports, `${name}.html`)
}

function indexFile(ws: Workspace): string {
  return path.join(ws.paths.reports, INDEX_FILE)
}

function indexHref(ws: Workspace, pageDir: string): string | undefined {
  const index = indexFile(ws)
  return existsSync(index) ? path.relative(pageDir, index).split(path.sep).join('/') : undefined
}

/** What building one page needs besides the experiment: --all passes caches shared by every page. */
interface BuildOptions extends ReportOptions {
  /** the link from the page to reports/index.html (undefined: there is no index) */
  indexHref: string | undefined
  readBase?: (f: string) => BaseConfig
  key?: string
  losses?: LossCurve
  /** what the writer thread read ahead */
  ahead?: ReadAhead
  baseExists?: (f: string) => boolean
}

/** A page shows curves, not the last values `exp show` prints: its details skip reading them (gather reads each file). */
const noMetrics = () => []

async function buildPage(
  ws: Workspace,
  item: Classified,
  file: string,
  options: BuildOptions,
): Promise<{page: string; details: ExperimentDetails}> {
  const ahead = options.ahead
  const details = await detailsOf(ws, item, {
    baseExists: options.baseExists,
    hashConfig: false,
    now: options.now,
    readBase: options.readBase,
    readConfig: ahead && ((f) => ahead.configs.get(f) ?? readFileSync(f, 'utf8')),
    readMetrics: noMetrics,
  })
  const dir = item.snapshot.dir
  const data = await gatherPage(details, item.snapshot, options.losses, !ahead?.noCheckpoints.has(dir))
  const page = renderExperimentPage(data, {
    experimentDir: item.snapshot.dir,
    generatedAt: options.now(),
    indexHref: options.indexHref,
    key: options.key,
    pageDir: path.dirname(file),
    promote: ws.settings.promote,
  })
  return {details, page}
}

/** `exp report NAME [--out FILE] [--open]`: one experiment's page. */
export async function reportExperiment(
  ws: Workspace,
  options: ReportOptions & {name: string; out?: string; open?: boolean; env?: NodeJS.ProcessEnv},
): Promise<ReportResult> {
  const located = await resolveExperiment(ws, options.name)
  const file = path.resolve(options.out ?? pageFile(ws, located.name))
  checkPageTarget(ws, file)
  const [item] = await classifyWorkspace(ws, {
    location: located.location,
    log: options.log,
    now: options.now,
    only: [located.name],
  })
  const {page} = await buildPage(ws, item, file, {...options, indexHref: indexHref(ws, path.dirname(file))})
  writePage(file, page)
  const result: ReportResult = {experiment: located.name, file: relativeToRoot(ws, file), warnings: []}
  if (options.open) {
    result.opened = await openInBrowser(file, options.env ?? process.env)
    if (!result.opened)
      result.warnings.push(
        `could not open ${result.file}: no xdg-open (or open) on PATH; open it in a browser yourself.`,
      )
  }
  return result
}

/** The newest run's loss curve as the index's sparkline. */
function lastSpark(item: Classified, losses: LossCurve): SafeHtml {
  for (const run of item.snapshot.runs) {
    const points = losses(path.join(item.snapshot.dir, 'runs', run.run_id))
    if (points.length > 0) return sparkline(points)
  }
  return sparkline([])
}

/**
 * What --all already drew of an experiment while building its page: its sparkline, and what the index shows of its
 * listing (only that: each page's whole details, kept to the end, were copied by the young-generation collections
 * of the page loop; the main thread's garbage collection in a fresh report over 1,000 experiments went from 58 to
 * 47 ms, medians of 5 runs with --trace-gc).
 */
interface Drawn {
  spark: SafeHtml
  listed: IndexListing
}

function renderIndex(
  ws: Workspace,
  items: Classified[],
  now: Date,
  hasPage: (name: string) => boolean,
  drawn?: ReadonlyMap<Classified, Drawn>,
): string {
  const metric = ws.settings.promote.metric
  const losses = lossCurves()
  const entries: IndexEntry[] = items.map((item) => ({
    spark: drawn?.get(item)?.spark ?? lastSpark(item, losses),
    listed: drawn?.get(item)?.listed ?? toListed(item, now, metric),
    page: hasPage(item.snapshot.name) ? `${item.snapshot.name}.html` : undefined,
  }))
  return renderIndexPage(entries, {generatedAt: now, metric})
}

/** Below this many missing pages, --all writes each page itself: a thread is not worth starting for a few. */
const THREAD_MIN_PAGES = 32

/** `exp report --all`: every experiment's page (active and archived) and reports/index.html linking them. */
export async function reportAll(ws: Workspace, options: ReportOptions): Promise<ReportAllResult> {
  const index = indexFile(ws)
  checkPageTarget(ws, index)
  // one instant for the whole run: every page and the index are drawn as of it (ages, "generated at")
  const at = options.now()
  const now = () => at
  const {missing, pages} = missingPages(ws)
  const writer =
    missing.length >= THREAD_MIN_PAGES
      ? pageThread(privateFolder(ws.paths.reports), missing)
      : {flush: async () => {}, readAhead: async () => readAheadOf(), write: writePage}
  const bases = new Map<string, BaseConfig>()
  const readBase = (f: string) => bases.get(f) ?? bases.set(f, readBaseConfig(f)).get(f)!
  // each base config's stat, for the page keys and whether it exists
  const stats = new Map<string, Stats | undefined>()
  const statOf = (f: string) =>
    stats.has(f) ? stats.get(f) : stats.set(f, statSync(f, {throwIfNoEntry: false})).get(f)
  const baseStat = (f: string) => `${statOf(f)?.mtimeMs}:${statOf(f)?.size}`
  const baseExists = (f: string) => statOf(f) !== undefined
  const warnings: string[] = []
  // each built page's sparkline for the index, drawn when the page is built: its curves are then let go (1,000
  // pages' points kept to the end were collected again and again by the garbage collector); and its listing, from
  // the page's details (toListed once per experiment, not twice). One entry per page built.
  const drawn = new Map<Classified, Drawn>()
  const written = new Set<string>()
  let items: Classified[]
  let indexText: string
  let tierUp: RaisedBudget | undefined
  try {
    items = await classifyWorkspace(ws, {location: 'all', log: options.log, now})
    // a loop of many pages: V8's optimizing compiler costs more than it gives back (tier-up.ts); put back below
    if (missing.length >= THREAD_MIN_PAGES) tierUp = await raiseTierUpBudget()
    // what the pages to build read besides the scan, read by the writer thread while this one scanned
    const ahead = await writer.readAhead()
    // an index that exists before the pages lets each page link back to it (every page is in reports/, beside it)
    if (!existsSync(index))
      writePage(
        index,
        renderIndex(ws, [], at, () => false),
      )
    const indexLink = indexHref(ws, ws.paths.reports)
    for (const item of items) {
      const file = pageFile(ws, item.snapshot.name)
      // one name active and archived: the active one has the page
      if (written.has(file)) continue
      // a page missing from the listing is not opened (an open that fails costs more than the listing's answer)
      const head = pages.has(path.basename(file)) ? readPageHead(file) : undefined
      if (head && !head.expPage) {
        warnings.push(
          `${relativeToRoot(ws, file)} is not a page exp wrote: left as it is, ${item.snapshot.name} has no page.`,
        )
        continue
      }
      const key = pageKey(ws, item, file, indexLink, baseStat)
      written.add(file)
      if (head?.key === key) continue
      const losses = lossCurves(ahead.curves)
      const built = {...options, ahead, baseExists, indexHref: indexLink, key, losses, now, readBase}
      const {details, page} = await buildPage(ws, item, file, built)
      writer.write(file, page)
      drawn.set(item, {listed: indexListing(details), spark: lastSpark(item, losses)})
    }
    // the index drawn while the writer thread is still writing the last pages
    indexText = renderIndex(ws, items, at, (name) => written.has(pageFile(ws, name)), drawn)
  } finally {
    // V8 as it was before the code cache is written at exit (tier-up.ts)
    tierUp?.restore()
    // the pages in flight written, and the writer's temporary files removed, even when building one failed
    await writer.flush()
  }
  writePage(index, indexText)
  return {
    archived: items.filter((i) => i.snapshot.location === 'archive').length,
    experiments: items.filter((i) => i.snapshot.location === 'experiments').length,
    index: relativeToRoot(ws, index),
    pages: written.size,
    pages_changed: drawn.size,
    warnings,
  }
}

/**
 * After exp archive and exp promote: rewrite reports/index.html when it exists (it is a page exp wrote), so the
 * workspace's front page never shows an experiment where it no longer is. Links only to pages that exist.
 */
export async function refreshIndex(ws: Workspace, now: Clock): Promise<string | undefined> {
  const index = indexFile(ws)
  if (!existsSync(index) || !isExpPage(index)) return undefined
  const items = await classifyWorkspace(ws, {location: 'all', now})
  writePage(
    index,
    renderIndex(ws, items, now(), (name) => existsSync(pageFile(ws, name))),
  )
  return relativeToRoot(ws, index)
}

/** The hook exp archive and exp promote call: never fails them, only warns (a page is not worth a failed archive). */
export async function refreshIndexAfterChange(ws: Workspace, now: Clock, log?: (line: string) => void): Promise<void> {
  try {
    const file = await refreshIndex(ws, now)
    if (file) log?.(`Updated ${file}`)
  } catch (error) {
    log?.(`Warning: could not update ${relativeToRoot(ws, indexFile(ws))}: ${(error as Error).message}`)
  }
}

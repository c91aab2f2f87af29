import {formatValue} from '../lib/format-value.js'
import type {ListedExperiment} from '../experiments/listing.js'
import {href, html, page, type SafeHtml, statusBadge, table} from './html.js'

/** What the index shows of an experiment's listing. */
export type IndexListing = Pick<ListedExperiment, 'location' | 'metric' | 'name' | 'reason' | 'status'>

/** Only those fields of a listing (or of an experiment's details): what the index keeps of each page it drew. */
export function indexListing(l: IndexListing): IndexListing {
  return {location: l.location, metric: l.metric, name: l.name, reason: l.reason, status: l.status}
}

export interface IndexEntry {
  listed: IndexListing
  /** the last training curve (loss) as a sparkline, drawn when its page was built (its points need not be kept) */
  spark: SafeHtml
  /** the experiment's page file name next to the index, when it exists */
  page?: string
}

/** The workspace's experiments, active ones first and the archive on its own tab, each linking to its page. */
export function renderIndexPage(entries: IndexEntry[], options: {generatedAt: Date; metric: string}): string {
  const active = entries.filter((e) => e.listed.location === 'experiments')
  const archived = entries.filter((e) => e.listed.location === 'archive')
  const section = (id: string, title: string, list: IndexEntry[]): SafeHtml =>
    html`<section id="${id}"><h2>${title} (${list.length})</h2>${
      list.length === 0
        ? html`<p class="muted">None.</p>`
        : table(
            ['experiment', 'status', 'reason', options.metric, 'last training curve'],
            list.map((e) => [
              e.page
                ? html`<a class="experiment" href="${href(e.page)}">${e.listed.name}</a>`
                : html`<span class="experiment">${e.listed.name}</span>`,
              statusBadge(e.listed.status),
              e.listed.reason,
              e.listed.metric ? formatValue(e.listed.metric.value) : '',
              e.spark,
            ]),
            {numeric: [3]},
          )
    }</section>`
  const counts = ['active', 'success', 'failed', 'stale']
    .map((s) => `${active.filter((e) => e.listed.status === s).length} ${s}`)
    .join(', ')
  const body = html`<h1>Experiments</h1>
<p class="muted">${active.length} in the workspace (${counts}), ${archived.length} archived.</p>
<nav class="tabs"><a href="#active">Experiments</a><a href="#archived">Archived</a></nav>
${section('active', 'Experiments', active)}
${section('archived', 'Archived', archived)}`
  return page({body, generatedAt: options.generatedAt, title: 'exp — experiments'})
}

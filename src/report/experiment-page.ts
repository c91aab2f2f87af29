import path from 'node:path'

import {formatValue} from '../lib/format-value.js'
import {formatNumber} from '../lib/table.js'
import {formatDuration} from '../lib/time.js'
import type {RunRecord, StageRecord} from '../runs/record.js'
import {lineChart} from './charts.js'
import type {PageData} from './gather.js'
import {href, html, page, PALETTE, type SafeHtml, statusBadge, table} from './html.js'
import {sweepSection, type SweepSectionOptions} from './sweep-section.js'

export interface ExperimentPageOptions {
  generatedAt: Date
  /** the folder the page is written to: links to logs are relative to it */
  pageDir: string
  /** the experiment's absolute directory */
  experimentDir: string
  /** link back to the workspace index, when there is one */
  indexHref?: string
  key?: string
  /** promote.metric and direction: a sweep's chart plots the metric and highlights the best variant */
  promote?: SweepSectionOptions
}

/** One experiment as a self-contained page. */
export function renderExperimentPage(data: PageData, options: ExperimentPageOptions): string {
  const d = data.details
  const link = (rel: string) =>
    href(path.relative(options.pageDir, path.join(options.experimentDir, rel)).split(path.sep).join('/'))
  const body = html`
${options.indexHref ? html`<nav><a href="${options.indexHref}">← all experiments</a></nav>` : ''}
<h1 id="name">${d.name}</h1>
<p>${statusBadge(d.status)} <span id="reason">${d.reason}</span>${d.location === 'archive' ? html` <span class="muted">(archived)</span>` : ''}</p>
<p class="muted">${d.dir} · last activity ${d.last_activity}${d.metric ? ` · ${d.metric.name} ${formatValue(d.metric.value)}` : ''}</p>
${d.hypothesis ? html`<h2>Hypothesis</h2><p id="hypothesis">${d.hypothesis}</p>` : ''}
${data.notes ? html`<h2>Notes</h2><div class="notes" id="notes">${data.notes}</div>` : ''}
${d.variants_detail ? html`<h2>Variants</h2>${sweepSection(d.variants_detail, options.promote ?? {direction: 'min', metric: d.metric?.name ?? 'metric'})}` : ''}
<h2>Config against its base</h2>
${configSection(data)}
<h2>Runs</h2>
${runsSection(d.runs_detail, link)}
<h2>Evaluations</h2>
${evaluationsSection(data)}
<h2>Training curves</h2>
${
  data.curves.length === 0
    ? html`<p class="muted">No run logged a loss to metrics.jsonl.</p>`
    : lineChart(
        data.curves.map((c) => ({label: c.run_id, points: c.points})),
        {xLabel: 'step', yLabel: 'loss'},
      )
}
<h2>Checkpoints</h2>
${
  data.checkpoints.length === 0
    ? html`<p class="muted">No checkpoints.</p>`
    : table(
        ['checkpoint', 'files', 'bytes', 'integrity'],
        data.checkpoints.map((c) => [
          c.path,
          c.files,
          c.bytes,
          html`<span class="${c.integrity === 'verified' ? 'pass' : c.integrity === 'no manifest' ? '' : 'fail'}">${c.integrity}</span>${c.problems.length ? html`: ${c.problems.join('; ')}` : ''}`,
        ]),
        {numeric: [1, 2]},
      )
}
${
  data.otherReports.length === 0
    ? ''
    : html`<h2>Other reports</h2>${table(
        ['report', 'gates_passed', 'metrics'],
        data.otherReports.map((r) => [
          r.path,
          r.error ? `invalid: ${r.error}` : formatValue(r.gates_passed),
          metricsText(r.metrics),
        ]),
      )}`
}
`
  return page({body, generatedAt: options.generatedAt, key: options.key, title: `${d.name} — exp report`})
}

function configSection(data: PageData): SafeHtml {
  const base = data.details.base
  if (!base.path) return html`<p class="muted">No base config recorded.</p>`
  const note = html`<p class="muted">base: ${base.path}${base.changed_since_creation ? ' (changed since this experiment was created)' : ''}</p>`
  if (base.error) return html`${note}<p>${base.error}</p>`
  if (base.changes.length === 0) return html`${note}<p>No changes against the base.</p>`
  return html`${note}${table(
    ['key', 'base', 'this experiment'],
    base.changes.map((c) => [c.key, formatValue(c.from), formatValue(c.to)]),
  )}`
}

function stageMs(s: StageRecord): number | undefined {
  const a = Date.parse(s.started_at ?? '')
  const b = Date.parse(s.ended_at ?? '')
  return Number.isNaN(a) || Number.isNaN(b) ? undefined : Math.max(0, b - a)
}

function runsSection(runs: RunRecord[], link: (rel: string) => string): SafeHtml {
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`
  const ordered = [...runs].reverse()
  const rows = ordered.map((run) => {
    const stages = run.stages.map((s) => {
      const ms = stageMs(s)
      return html`<div>${s.name}: <span class="${s.state === 'completed' ? 'pass' : s.state === 'failed' ? 'fail' : ''}">${s.state}</span>${ms === undefined ? '' : ` · ${formatDuration(ms)}`} · <a href="${link(s.log)}">log</a></div>`
    })
    const cost =
      typeof run.backend_data?.cost_usd === 'number' ? `$${(run.backend_data.cost_usd as number).toFixed(2)}` : ''
    return [
      run.run_id,
      run.backend,
      html`${run.state}${run.reason ? html`<div class="muted">${run.reason}</div>` : ''}`,
      stages,
      cost,
      html`<a href="${link(`runs/${run.run_id}/launch.log`)}">launch.log</a>`,
    ]
  })
  return html`${timeline(ordered)}${table(['run', 'backend', 'state', 'stages', 'cost', 'record'], rows, {numeric: [4]})}`
}

/** The runs on one time axis: a row per run, a bar per stage from its start to its end. */
function timeline(runs: RunRecord[]): SafeHtml {
  const spans = runs.flatMap((run, row) =>
    run.stages.flatMap((s, i) => {
      const a = Date.parse(s.started_at ?? '')
      const b = Date.parse(s.ended_at ?? '') || a
      return Number.isNaN(a) ? [] : [{a, b, i, row, stage: s}]
    }),
  )
  if (spans.length === 0) return html``
  const t0 = Math.min(...spans.map((s) => s.a))
  const t1 = Math.max(...spans.map((s) => s.b), t0 + 1)
  const W = 640
  const left = 150
  const rowH = 18
  const H = runs.length * rowH + 20
  const x = (t: number) => Math.round((left + ((t - t0) / (t1 - t0)) * (W - left - 10)) * 100) / 100
  const labels = runs.map((run, row) => html`<text x="4" y="${row * rowH + 13}">${run.run_id}</text>`)
  const bars = spans.map(
    (s) =>
      html`<rect x="${x(s.a)}" y="${s.row * rowH + 3}" width="${Math.max(2, x(s.b) - x(s.a))}" height="${rowH - 6}" fill="${PALETTE[s.i % PALETTE.length]}"><title>${s.stage.name}: ${s.stage.state}</title></rect>`,
  )
  return html`<figure class="chart"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="runs over time">${labels}${bars}<text x="${left}" y="${H - 4}">${new Date(t0).toISOString()}</text><text x="${W - 10}" y="${H - 4}" text-anchor="end">${formatDuration(t1 - t0)} later</text></svg></figure>`
}

function metricsText(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .slice(0, 8)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ')
}

function evaluationsSection(data: PageData): SafeHtml {
  if (data.evaluations.length === 0) return html`<p class="muted">No run evaluated a checkpoint yet.</p>`
  return html`${data.evaluations.map(({checkpoint, rows}) => {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].slice(0, 8)
    const verdict = (r: (typeof rows)[number]) =>
      r.missing
        ? html`<span class="fail">no report</span>`
        : r.gates_passed === true
          ? html`<span class="pass">passed</span>`
          : r.gates_passed === false
            ? html`<span class="fail">failed</span>`
            : html`<span class="muted">no verdict</span>`
    const body = rows.map((r) => [
      r.evaluation,
      r.run_id,
      verdict(r),
      ...keys.map((k) => (r.metrics[k] === undefined ? '' : formatNumber(r.metrics[k]))),
    ])
    return html`<h3>${checkpoint}</h3>${table(['evaluation', 'run', 'verdict', ...keys], body, {className: 'evaluations', numeric: keys.map((_, i) => i + 3)})}`
  })}`
}

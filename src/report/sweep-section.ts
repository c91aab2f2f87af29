import {bestVariant} from '../classify/sweep.js'
import {formatValue} from '../lib/format-value.js'
import type {ListedVariant} from '../experiments/variants.js'
import {formatNumber} from '../lib/table.js'
import {type PlotPoint, pointChart} from './charts.js'
import {html, type SafeHtml, statusBadge, table} from './html.js'

export interface SweepSectionOptions {
  metric: string
  direction: 'min' | 'max'
}

/**
 * A sweep's variants on its page: the comparison table, then for each varying parameter the metric plotted against
 * it (one point per variant; the best passing one highlighted, failed ones marked, those without the metric on the
 * axis). A sweep without varying parameters (a summary of unrelated rows) gets one chart of the metric per variant.
 */
export function sweepSection(variants: ListedVariant[], options: SweepSectionOptions): SafeHtml {
  if (variants.length === 0) return html`<p class="muted">No variants.</p>`
  const keys = [...new Set(variants.flatMap((v) => Object.keys(v.params)))]
  const passed = variants.filter((v) => v.status === 'success')
  const best =
    passed.length > 0
      ? bestVariant(
          passed.map((v) => ({...v, metric: v.metric?.value})),
          options.direction,
        ).variant
      : undefined
  const rows = variants.map((v) => [
    html`<span class="${v.variant === best ? 'best' : ''}">${v.variant}</span>`,
    statusBadge(v.status),
    ...keys.map((k) => (k in v.params ? formatValue(v.params[k]) : '')),
    v.metric ? formatNumber(v.metric.value) : '',
    v.reason,
  ])
  const comparison = table(['variant', 'status', ...keys, options.metric, 'reason'], rows, {
    className: 'variants',
    numeric: [keys.length + 2],
  })
  const point = (v: ListedVariant, x: unknown): PlotPoint => ({
    best: v.variant === best,
    failed: v.status === 'failed',
    label: v.variant,
    x,
    y: v.metric?.value,
  })
  const charts = (keys.length > 0 ? keys : ['variant']).map((key) =>
    pointChart(
      variants.map((v) => point(v, key === 'variant' && keys.length === 0 ? v.variant : v.params[key])),
      {key, xLabel: key, yLabel: options.metric},
    ),
  )
  const legend = html`<p class="muted legend-points">● passed or no verdict · <span class="best">◆ best (${best ?? 'none'})</span> · <span class="fail">✕ failed</span> · points on the axis have no ${options.metric}</p>`
  return html`${comparison}${charts}${legend}`
}

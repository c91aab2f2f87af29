import {formatValue} from '../config/config-file.js'
import {formatNumber, renderTable} from '../lib/table.js'
import type {DiffResult} from './diff.js'

/** `exp diff` for people: the two subjects, the differing keys (or that there are none), then the metrics side by side. */
export function renderDiff(result: DiffResult): string {
  const {a, b} = result
  const lines = [`--- ${a.subject} (${a.kind}: ${a.config_path})`, `+++ ${b.subject} (${b.kind}: ${b.config_path})`]
  const show = (present: boolean, value: unknown) => (present ? formatValue(value) : '(absent)')
  if (result.identical) lines.push('The configs do not differ.')
  else
    lines.push(
      renderTable(
        ['key', '---', '+++'],
        result.differences.map((d) => [d.key, show(d.in !== 'b', d.a), show(d.in !== 'a', d.b)]),
      ),
    )
  if (result.metrics.length > 0) {
    const value = (m: Record<string, number>, k: string) => (k in m ? formatNumber(m[k]) : undefined)
    lines.push(
      '',
      renderTable(
        ['metric', '---', '+++'],
        result.metrics.map((k) => [k, value(a.metrics, k), value(b.metrics, k)]),
      ),
    )
  }
  return lines.join('\n')
}

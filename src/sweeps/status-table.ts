import {promises as fs} from 'node:fs'

import {writeFileAtomic} from '../lib/atomic.js'
import {formatNumber} from '../lib/table.js'
import {skipped, type VariantRun} from './observe-transitions.js'

/**
 * The status table exp keeps in a sweep's `experiment_summary.md`, between two HTML comments that markdown viewers
 * hide. Only the text between the markers is exp's: every byte outside them stays as the person wrote it, and the
 * first time the block is appended at the end.
 */
export const STATUS_START = '<!-- exp:status -->'
export const STATUS_END = '<!-- /exp:status -->'

export interface StatusRow {
  variant: string
  train_job: string
  train_state: string
  evaluation_job: string
  evaluation_state: string
  metric: string
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')

export function statusRows(runs: VariantRun[], metrics: Map<string, number | undefined>): StatusRow[] {
  return runs.map((v) => {
    const jobOf = (s: {job_id?: string} | undefined) => (s ? (s.job_id ?? v.run!.run_id) : '—')
    const evaluation = v.evaluations.map((s) => (skipped(v, s) ? 'skipped' : s.state))
    const metric = metrics.get(v.variant)
    return {
      evaluation_job: v.evaluations.length === 0 ? '—' : [...new Set(v.evaluations.map(jobOf))].join(', '),
      evaluation_state:
        evaluation.length === 0
          ? '—'
          : v.evaluations.length === 1
            ? evaluation[0]
            : v.evaluations.map((s, i) => `${s.name.replace(/^evaluate:/, '')}: ${evaluation[i]}`).join(', '),
      metric: metric === undefined ? '—' : formatNumber(metric),
      train_job: jobOf(v.train),
      train_state: v.train?.state ?? 'not launched',
      variant: v.variant,
    }
  })
}

export function renderStatusTable(rows: StatusRow[], metricName: string): string {
  const headers = ['Variant', 'Train job', 'Train state', 'Evaluation job', 'Evaluation state', metricName]
  const lines = [`| ${headers.map(cell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`]
  for (const r of rows)
    lines.push(
      `| ${[r.variant, r.train_job, r.train_state, r.evaluation_job, r.evaluation_state, r.metric].map(cell).join(' | ')} |`,
    )
  return lines.join('\n')
}

/** The text with the block between the markers replaced by `table` (appended at the end when there is none yet). */
export function withStatusTable(text: string, table: string): string {
  const start = text.indexOf(STATUS_START)
  const end = start === -1 ? -1 : text.indexOf(STATUS_END, start + STATUS_START.length)
  const block = `\n${table}\n`
  if (start !== -1 && end !== -1) return text.slice(0, start + STATUS_START.length) + block + text.slice(end)
  const gap = text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'
  return `${text}${gap}${STATUS_START}${block}${STATUS_END}\n`
}

/** Rewrite the table in the summary file (atomically, and only when it changed); false when the file does not exist. */
export async function writeStatusTable(file: string, table: string): Promise<boolean> {
  // read and written as latin1 (one char per byte): bytes that are not valid UTF-8 outside the markers survive as they are
  const text = await fs.readFile(file, 'latin1').catch(() => undefined)
  if (text === undefined) return false
  const next = withStatusTable(text, Buffer.from(table, 'utf8').toString('latin1'))
  if (next === text) return true
  const {mode} = await fs.stat(file)
  await writeFileAtomic(file, Buffer.from(next, 'latin1'), mode & 0o7777, {createDir: false})
  return true
}

import type {Status} from '../classify/classify.js'
import type {ListResult} from '../experiments/listing.js'
import {renderExperimentTable, renderSummary} from '../experiments/render.js'
import type {ArchiveItemResult, ArchivePlan, ArchiveResult, ContentEntry, PlannedArchive} from './archive.js'

/** Text for exp archive and exp restore: the plan (--dry-run), one line per result, the summary, --list-only. */

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let i = 0
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  return i === 0 ? `${bytes} B` : `${value.toFixed(value >= 10 ? 0 : 1)} ${units[i]}`
}

function contentLine(entries: ContentEntry[]): string {
  return entries
    .map((e) =>
      e.path.endsWith('/') ? `${e.path} (${e.files} file${e.files === 1 ? '' : 's'}, ${formatBytes(e.bytes)})` : e.path,
    )
    .join(', ')
}

export function renderPlan(plan: ArchivePlan): string {
  const ok = plan.items.filter((i) => !i.refused)
  const lines = [`Would archive ${ok.length} experiment${ok.length === 1 ? '' : 's'} (dry run: nothing changes).`]
  for (const item of plan.items) {
    lines.push('')
    if (item.refused) {
      lines.push(`${item.name}  ${item.status}: NOT archived: ${item.refused}`)
      continue
    }
    lines.push(`${item.name}  ${item.status}: ${item.reason}`)
    lines.push(
      `  → ${item.destination}/  (${item.files} file${item.files === 1 ? '' : 's'}, ${formatBytes(item.bytes)}, moved whole)`,
    )
    if (item.contents) lines.push(`  files: ${contentLine(item.contents)}`)
    for (const r of item.reports) lines.push(`  copies workspace report ${r.from} → ${r.to}`)
    lines.push(
      '  writes metadata.json: its own keys kept, plus archive {status, reason, archived_at, original_path, file_count, bytes, reports, exp_version}',
    )
  }
  return lines.join('\n')
}

/** What a confirmation prompt lists before moving anything. */
export function renderConfirmList(items: PlannedArchive[]): string {
  return items
    .map((i) =>
      i.refused ? `  ${i.name}  NOT archived: ${i.refused}` : `  ${i.name}  ${i.status}  → ${i.destination}/`,
    )
    .join('\n')
}

/** The question `exp archive` asks before moving `n` experiments (`list`: what it will move). */
export function archiveQuestion(list: string, n: number) {
  const what = `${n} experiment${n === 1 ? '' : 's'}`
  return {
    cancelled: 'cancelled; nothing was archived.',
    list,
    message: `Move ${what} to the archive?`,
    needs: `archiving ${what}`,
    suggestion: 'add --yes to archive them, or --dry-run to see what would happen.',
    yes: false,
  }
}

export function renderResultLine(r: ArchiveItemResult): string {
  if (r.outcome === 'archived') return `archived ${r.name} → ${r.destination}/ (${r.status})`
  return `${r.outcome} ${r.name}: ${r.error}`
}

export function renderArchiveSummary(result: ArchiveResult): string {
  const {archived, failed, skipped} = result.summary
  return `Archived ${archived}, skipped ${skipped}, failed ${failed} (${(result.duration_ms / 1000).toFixed(1)}s).`
}

/** `(Active: 3  Success: 0  Failed: 0  Stale: 0 in experiments/)` after "Nothing to archive." */
export function renderSummaryLine(summary: Record<Status, number>): string {
  return `(${renderSummary(summary)} in experiments/)`
}

const ORDER: Status[] = ['success', 'failed', 'stale', 'active']

/** --list-only: the classification summary, then the experiments grouped by status, as exp list prints them. */
export function renderListOnly(list: ListResult, metric: string): string {
  const lines = [renderSummary(list.summary)]
  for (const status of ORDER) {
    const group = list.experiments.filter((e) => e.status === status)
    if (group.length === 0) continue
    const note = status === 'active' ? ' — never archived' : ''
    lines.push(
      '',
      `${status[0].toUpperCase()}${status.slice(1)} (${group.length})${note}`,
      renderExperimentTable(group, metric),
    )
  }
  return lines.join('\n')
}

/**
 * How `exp archive` reports progress: a progress bar on a terminal's stderr (failures listed after it), plain lines
 * otherwise (and always under --json, where `log` prints nothing).
 */
export async function archiveProgress(log: (line: string) => void, tty: boolean) {
  const lines: string[] = []
  const progress = tty ? await import('cli-progress') : undefined
  let bar: import('cli-progress').SingleBar | undefined
  return {
    item(r: ArchiveItemResult, done: number) {
      const line = renderResultLine(r)
      if (!bar) return log(line)
      bar.update(done, {name: r.name})
      if (r.outcome !== 'archived') lines.push(line)
    },
    start(total: number) {
      if (!progress || total < 2) return
      const {Presets, SingleBar} = progress
      bar = new SingleBar(
        {format: 'Archiving [{bar}] {value}/{total} {name}', hideCursor: true, stream: process.stderr},
        Presets.shades_classic,
      )
      bar.start(total, 0, {name: ''})
    },
    stop() {
      bar?.stop()
      for (const line of lines) log(line)
    },
  }
}

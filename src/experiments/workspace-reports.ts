import {type Dirent, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {parseReport, type Report} from '../reports/report.js'
import type {Workspace} from '../workspace/workspace.js'

export interface WorkspaceReports {
  for(name: string): Report[]
}

/**
 * Workspace-level reports belong to an experiment when their JSON `experiment` field names it, or their basename
 * is the directory name or ends in `_<directory name>` (e.g. reports/test_2025-01-22-test-64dim.json).
 */
export async function readWorkspaceReports(ws: Workspace): Promise<WorkspaceReports> {
  const reports = jsonFilesUnder(ws.paths.reports).map(({file, mtimeMs}) => {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {}
    return parseReport(file, text, mtimeMs, 'workspace')
  })
  // index every name a report can match, so matching N experiments costs N lookups, not N × reports
  const byName = new Map<string, Report[]>()
  const add = (name: string, report: Report) => {
    const list = byName.get(name) ?? []
    if (!list.includes(report)) list.push(report)
    byName.set(name, list)
  }
  for (const report of reports) {
    const named = report.data?.experiment
    if (typeof named === 'string' && named) {
      add(named, report)
      continue
    }
    const base = path.basename(report.path, '.json')
    add(base, report)
    for (let i = base.indexOf('_'); i !== -1; i = base.indexOf('_', i + 1)) add(base.slice(i + 1), report)
  }
  return {for: (name: string) => byName.get(name) ?? []}
}

/**
 * Every .json file under dir, at any depth, with its mtime: hidden files and folders are skipped, symbolic links
 * are followed (each folder once, so a link cycle ends), unreadable entries are skipped. What a glob with dot: false
 * and suppressErrors gave, without loading a glob library on the path of every command.
 */
function jsonFilesUnder(dir: string, seen = new Set<string>(), out: {file: string; mtimeMs: number}[] = []): {file: string; mtimeMs: number}[] {
  let entries: Dirent[]
  try {
    const stats = statSync(dir)
    const key = `${stats.dev}:${stats.ino}`
    if (seen.has(key)) return out // a folder reached again through a link (links can make cycles)
    seen.add(key)
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return out
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      jsonFilesUnder(file, seen, out)
      continue
    }
    if (!entry.isSymbolicLink() && !entry.name.endsWith('.json')) continue
    let stats
    try {
      stats = statSync(file)
    } catch {
      continue // a dangling link
    }
    if (stats.isDirectory()) jsonFilesUnder(file, seen, out)
    else if (stats.isFile() && entry.name.endsWith('.json')) out.push({file, mtimeMs: stats.mtimeMs})
  }
  return out
}

#!/usr/bin/env node
// The limit for `exp list --json`: the least a hand-written Node script must do to get the same facts from disk,
// and nothing else. It reads exactly the files exp reads:
//   - exp.yaml (read, not parsed: this script knows the default layout);
//   - experiments/: every directory and file, each with one lstat (last activity = newest mtime, file count, bytes);
//   - per experiment: metadata.json, notes.md (its last Status:/Result: line), reports/*.json, runs/*/run.json,
//     each read and parsed;
//   - the workspace's reports/**/*.json, each with its mtime, read and parsed, matched to experiments by name;
//   - a sweep's sweep.yaml (JSON after its comment line, as exp writes it), and in each variant folder the same
//     reports/*.json and runs/*/run.json as an experiment's.
// It prints one JSON object per experiment. No framework, no classification rules, no schema validation.
//
//   node bench/limit-list.js [WORKSPACE]
import {lstatSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

const root = path.resolve(process.argv[2] ?? '.')
readFileSync(path.join(root, 'exp.yaml'), 'utf8')
const experimentsDir = path.join(root, 'experiments')
const reportsDir = path.join(root, 'reports')
const STATUS_LINE = /^[ \t]*(?:status|result)[ \t]*:(.*)$/im

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

// workspace-level reports, by the experiment they name (or the name their file ends in)
const workspaceReports = new Map()
const walkReports = (dir) => {
  let entries
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return
  }
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walkReports(p)
    else if (e.name.endsWith('.json')) {
      const mtime = lstatSync(p).mtimeMs
      const data = readJson(p)
      const key = typeof data?.experiment === 'string' ? data.experiment : e.name.slice(e.name.indexOf('_') + 1, -5)
      const list = workspaceReports.get(key) ?? []
      list.push({data, mtime})
      workspaceReports.set(key, list)
    }
  }
}
walkReports(reportsDir)

const out = []
for (const top of readdirSync(experimentsDir, {withFileTypes: true})) {
  if (!top.isDirectory() || top.name.startsWith('.')) continue
  const dir = path.join(experimentsDir, top.name)
  const x = {
    name: top.name,
    last: lstatSync(dir).mtimeMs,
    files: 0,
    bytes: 0,
    metadata: undefined,
    notes: undefined,
    reports: [],
    runs: 0,
  }
  const variants = new Set()
  try {
    for (const v of JSON.parse(readFileSync(path.join(dir, 'sweep.yaml'), 'utf8').replace(/^(?:#.*\n)+/, '')).variants)
      variants.add(v.name)
  } catch {}
  const walk = (d, full) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      const top = full.split('/')[0]
      const rel = variants.has(top) ? full.slice(top.length + 1) : full // inside a variant: paths from the variant
      const r = rel ? `${rel}/${e.name}` : e.name
      const nextFull = full ? `${full}/${e.name}` : e.name
      const st = lstatSync(p)
      if (st.mtimeMs > x.last) x.last = st.mtimeMs
      if (e.isDirectory()) {
        walk(p, nextFull)
        continue
      }
      x.files++
      x.bytes += st.size
      if (r === 'metadata.json') x.metadata = readJson(p)
      else if (r === 'notes.md') {
        const lines = readFileSync(p, 'utf8').match(new RegExp(STATUS_LINE.source, 'gim'))
        x.notes = lines?.at(-1)
      } else if (rel === 'reports' && e.name.endsWith('.json')) x.reports.push({data: readJson(p), mtime: st.mtimeMs})
      else if (e.name === 'run.json' && r.split('/').length === 3 && r.startsWith('runs/')) {
        if (readJson(p)) x.runs++
      }
    }
  }
  walk(dir, '')
  x.reports.push(...(workspaceReports.get(top.name) ?? []))
  const newest = x.reports
    .map((r) => ({gates: r.data?.gates_passed, t: Date.parse(r.data?.created_at) || r.mtime}))
    .sort((a, b) => b.t - a.t)[0]
  out.push({
    name: x.name,
    last_activity: new Date(x.last).toISOString(),
    files: x.files,
    bytes: x.bytes,
    metadata_status: x.metadata?.status ?? null,
    notes_status: x.notes ?? null,
    newest_gates_passed: newest?.gates ?? null,
    reports: x.reports.length,
    runs: x.runs,
  })
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n')

#!/usr/bin/env node
// The cost of one Tab (shell completion): `exp __complete show ''` in a workspace of N experiment folders, against
// `exp --version` (node's start-up and exp's cheapest answer) in the same run. Run through `npm run bench:completion`.
//
//   node bench/completion.js [--runs 15] [--experiments 2000] [--exp path/to/bin/run.cjs]
//
// Figures are medians of wall time; the ratio is the median of the per-run ratios (target: ≤ 2 × --version).
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TARGET = 2
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : process.argv[i + 1]
}
const runs = Number(arg('runs', 15))
const count = Number(arg('experiments', 2000))
const EXP = path.resolve(arg('exp', path.join(ROOT, 'bin', 'run.cjs')))

const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-completion-'))
const env = {...process.env, EXP_CACHE_DIR: path.join(ws, '.cache')}
const run = (args) => {
  const started = process.hrtime.bigint()
  const out = execFileSync(process.execPath, [EXP, ...args], {cwd: ws, env, encoding: 'utf8'})
  return {ms: Number(process.hrtime.bigint() - started) / 1e6, out}
}
try {
  run(['init', ws])
  for (let i = 0; i < count; i++) {
    const dir = path.join(ws, 'experiments', `2026-01-${String((i % 28) + 1).padStart(2, '0')}-exp${i}`)
    mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, 'config.yaml'), 'a: 1\n')
  }
  run(['__complete', 'show', '']) // warm the settings cache
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const rows = []
  for (let r = 0; r < runs; r++) {
    const version = run(['--version']).ms
    const tab = run(['__complete', 'show', ''])
    if (tab.out.split('\n').filter(Boolean).length !== count)
      throw new Error('exp __complete did not list every experiment')
    rows.push({ratio: tab.ms / version, tab: tab.ms, version})
  }
  const ratio = median(rows.map((r) => r.ratio))
  console.log(
    `exp --version ${median(rows.map((r) => r.version)).toFixed(0)} ms; exp __complete show '' (${count} experiments) ${median(rows.map((r) => r.tab)).toFixed(0)} ms; ratio ${ratio.toFixed(2)} (target ≤ ${TARGET})`,
  )
  process.exitCode = ratio <= TARGET ? 0 : 1
} finally {
  rmSync(ws, {force: true, recursive: true})
}

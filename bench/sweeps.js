#!/usr/bin/env node
// Sweeps benchmarks (issue 13), as ratios to a baseline measured in the same run (median of --runs rounds, subject
// and baseline back to back):
//   - scaffold: `exp new --grid` making 1,000 variants, against a minimal Node script writing the same files (the
//     contents exp wrote, loaded before the clock starts) into a hidden folder renamed into place. Target ≤ 3×.
//   - list: `exp list --json` at 1,000 experiments × 8 variants (every variant scanned and classified), against bench/limit-list.js (which reads the
//     variants' reports and runs too). Target: the list target of bench/run.js, ≤ 1.5×.
//
//   npm run build && node bench/sweeps.js [--runs 5] [--experiments 1000] [--variants 8] [--only list,scaffold] [--keep]
import {spawnSync} from 'node:child_process'
import {promises as fs, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {generateWorkspace} from './generate.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const EXP = path.resolve(HERE, '..', 'bin', 'run.cjs')
const LIMIT = path.join(HERE, 'limit-list.js')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : (process.argv[i + 1] ?? true)
}
const runs = Number(arg('runs', 5))
const nExperiments = Number(arg('experiments', 1000))
const nVariants = Number(arg('variants', 8))
const work = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-sweeps-'))

/** Wall time, and CPU time (user + system, through bench/cpu-hook.cjs: steadier when the machine is shared). */
function timed(argv, cwd) {
  const cpuFile = path.join(work, 'cpu.txt')
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, ['--require', path.join(HERE, 'cpu-hook.cjs'), ...argv], {
    cwd,
    encoding: 'utf8',
    env: {...process.env, EXP_BENCH_CPU_FILE: cpuFile, EXP_ROOT: undefined},
    maxBuffer: 1 << 30,
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`${argv.map((a) => path.basename(a)).join(' ')}: exit ${r.status}\n${r.stderr}`)
  return {cpu: Number(readFileSync(cpuFile, 'utf8')), ms, stdout: r.stdout}
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function filesUnder(dir, rel = '', out = {}) {
  for (const e of readdirSync(path.join(dir, rel), {withFileTypes: true})) {
    const r = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) filesUnder(dir, r, out)
    else out[r] = readFileSync(path.join(dir, r), 'utf8')
  }
  return out
}

// ---- scaffold: 40 × 25 = 1,000 variants
const BASELINE = `
const fs = require('node:fs'), path = require('node:path')
const [manifest, target] = process.argv.slice(2)
const files = JSON.parse(fs.readFileSync(manifest, 'utf8'))
const tmp = path.join(path.dirname(target), '.new-' + path.basename(target))
for (const [rel, text] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), {recursive: true})
  fs.writeFileSync(path.join(tmp, rel), text)
}
fs.renameSync(tmp, target)
`
async function scaffold() {
  const ws = path.join(work, 'scaffold')
  spawnSync(process.execPath, [EXP, 'init', ws])
  const a = Array.from({length: 40}, (_, i) => i + 1).join(',')
  const b = Array.from({length: 25}, (_, i) => i + 1).join(',')
  const baselineFile = path.join(work, 'baseline.cjs')
  await fs.writeFile(baselineFile, BASELINE)
  const ratios = []
  let manifest
  for (let round = 0; round < runs + 1; round++) {
    const name = `big${round}`
    const subject = timed(
      [
        EXP,
        'new',
        name,
        '--date',
        '2025-01-01',
        '--grid',
        `model.latent_dim=${a}`,
        '--grid',
        `training.epochs=${b}`,
        '--json',
      ],
      ws,
    )
    const made = path.join(ws, 'experiments', `2025-01-01-${name}`)
    if (!manifest) {
      manifest = path.join(work, 'manifest.json')
      await fs.writeFile(manifest, JSON.stringify(filesUnder(made)))
    }
    const base = timed([baselineFile, manifest, path.join(ws, 'experiments', `baseline-${round}`)], ws)
    const variants = readdirSync(made, {withFileTypes: true}).filter((d) => d.isDirectory()).length
    if (variants !== 1000) throw new Error(`exp made ${variants} variants, not 1000`)
    if (round > 0)
      ratios.push({base: base.ms, cpuRatio: subject.cpu / base.cpu, ratio: subject.ms / base.ms, subject: subject.ms}) // round 0 warms the cache
  }
  return summarise('exp new --grid (1,000 variants)', 'script writing the same files', ratios, 3)
}

// ---- list: N experiments × V variants
async function list() {
  const ws = path.join(work, 'list')
  await generateWorkspace({checkpointBytes: 4096, dir: ws, n: nExperiments})
  const root = path.join(ws, 'experiments')
  for (const name of readdirSync(root).filter(
    (n) => !n.startsWith('.') && statSync(path.join(root, n)).isDirectory(),
  )) {
    const names = Array.from({length: nVariants}, (_, i) => `rank${2 ** (i + 1)}_lr1e-5`)
    await fs.writeFile(
      path.join(root, name, 'sweep.yaml'),
      `# written by exp\n${JSON.stringify({controls: [], naming: {abbreviations: {}, varying: ['lora_rank']}, schema: 1, source: {axes: [], kind: 'grid'}, variants: names.map((v, i) => ({name: v, params: {learning_rate: 1e-5, lora_rank: 2 ** (i + 1)}, setup: 'none'}))}, null, 2)}\n`,
    )
    for (const [i, v] of names.entries()) {
      await fs.mkdir(path.join(root, name, v, 'reports'), {recursive: true})
      await fs.writeFile(path.join(root, name, v, 'config.yaml'), `lora_rank: ${2 ** (i + 1)}\nlearning_rate: 1.0e-5\n`)
      await fs.writeFile(
        path.join(root, name, v, 'reports', 'r1.json'),
        JSON.stringify({final_nrmse: 0.01 * (i + 1), gates_passed: i % 3 !== 0}),
      )
    }
  }
  const ratios = []
  for (let round = 0; round < runs + 1; round++) {
    const base = timed([LIMIT, ws], ws)
    const subject = timed([EXP, 'list', '--json'], ws)
    const listed = JSON.parse(subject.stdout)
    const variants = listed.experiments.reduce((n, e) => n + e.variants, 0)
    if (listed.experiments.length !== nExperiments || variants !== nExperiments * nVariants)
      throw new Error(`exp listed ${listed.experiments.length} experiments, ${variants} variants`)
    if (round > 0)
      ratios.push({base: base.ms, cpuRatio: subject.cpu / base.cpu, ratio: subject.ms / base.ms, subject: subject.ms})
  }
  const all = timed([EXP, 'list', '--json', '--variants'], ws)
  if (JSON.parse(all.stdout).variants.length !== nExperiments * nVariants)
    throw new Error('exp list --variants missed variants')
  console.log(`exp list --json --variants (one row per variant, once): ${all.ms.toFixed(0)} ms`)
  return summarise(`exp list --json (${nExperiments} × ${nVariants})`, 'limit-list.js', ratios, 1.5)
}

function summarise(subject, baseline, samples, target) {
  const r = {
    baseline,
    baseline_ms: median(samples.map((s) => s.base)),
    cpu_ratio: median(samples.map((s) => s.cpuRatio)),
    ratio: median(samples.map((s) => s.ratio)),
    samples,
    subject,
    subject_ms: median(samples.map((s) => s.subject)),
    target,
  }
  console.log(
    `${subject}: ${r.subject_ms.toFixed(0)} ms vs ${baseline} ${r.baseline_ms.toFixed(0)} ms → ×${r.ratio.toFixed(2)}, CPU ×${r.cpu_ratio.toFixed(2)} (target ≤ ${target}) ${r.ratio <= target ? 'met' : 'NOT met'}`,
  )
  return r
}

try {
  const only = String(arg('only', 'list,scaffold'))
  const results = {
    list: only.includes('list') ? await list() : null,
    scaffold: only.includes('scaffold') ? await scaffold() : null,
  }
  await fs.writeFile(path.join(HERE, 'results.sweeps.json'), JSON.stringify(results, null, 2) + '\n')
} finally {
  if (!arg('keep', false)) rmSync(work, {force: true, recursive: true})
}

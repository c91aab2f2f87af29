#!/usr/bin/env node
// `exp graph show` on a large graph against bench/limit-graph.js (parse the file, sort it topologically, print it),
// alternating baseline and subject so that load from other work hits both; the ratio is the median of the per-run
// ratios. Target: ≤ 1.5×.
//
//   npm run bench:graph                  # 1,000 nodes, 9 runs
//   node bench/graph-show.js --n 5000 --runs 5
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.join(here, '..', 'bin', 'run.cjs')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const n = arg('--n', 1000)
const runs = arg('--runs', 9)

/** A seeded random DAG in the team's format: the first 60% completed (with a history), the rest waiting. */
function graph(count) {
  let s = 12_345
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  const actions = ['train', 'finetune', 'eval', 'noop']
  const keys = {eval: 'eval_config', finetune: 'experiment_config', train: 'train_config'}
  const nodes = {}
  const producers = []
  for (let i = 0; i < count; i++) {
    const id = `node-${i}`
    const deps =
      i === 0
        ? []
        : [...new Set(Array.from({length: Math.floor(rand() * 3) + 1}, () => `node-${Math.floor(rand() * i)}`))]
    const action = i === 0 ? 'train' : actions[Math.floor(rand() * actions.length)]
    const done = i < count * 0.6
    const spec = keys[action] ? {[keys[action]]: {seed: i, model: {latent_dim: 8}}} : {}
    if (action === 'finetune' || action === 'eval') {
      // its input checkpoint: a train/finetune node it depends on, named (several at one distance are ambiguous)
      spec.checkpoint_from = producers[Math.floor(rand() * producers.length)]
      deps.unshift(spec.checkpoint_from)
    }
    if (action === 'train' || action === 'finetune') producers.push(id)
    nodes[id] = {id, action, depends_on: [...new Set(deps)], status: done ? 'completed' : 'not_started', spec}
    if (done)
      nodes[id].history = [
        {at_utc: 1.7e9 + i, by: 'bench', from: 'not_started', to: 'in_progress', why: 'claimed'},
        {at_utc: 1.7e9 + i + 5, by: 'bench', from: 'in_progress', to: 'completed', why: 'run completed'},
      ]
  }
  return {version: 1, updated_utc: 1.7e9, nodes}
}

const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-graph-'))
/** wall time (ms) and CPU time (user + system, through bench/cpu-hook.cjs, ms) of one node process */
const cpuFile = path.join(ws, 'cpu.txt')
const time = (file, args) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(file, ['--require', path.join(here, 'cpu-hook.cjs'), ...args], {
    cwd: ws,
    encoding: 'utf8',
    env: {...process.env, EXP_BENCH_CPU_FILE: cpuFile, EXP_ROOT: ws},
    maxBuffer: 1 << 28,
  })
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return {cpu: Number(readFileSync(cpuFile, 'utf8')), ms: Number(process.hrtime.bigint() - t0) / 1e6}
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
try {
  if (spawnSync(process.execPath, [bin, 'init', ws]).status !== 0) throw new Error('exp init failed')
  const file = path.join(ws, 'work_graph.json')
  writeFileSync(file, JSON.stringify(graph(n), null, 2))
  const limit = [path.join(here, 'limit-graph.js'), file]
  const subject = [bin, 'graph', 'show']
  time(process.execPath, limit)
  time(process.execPath, subject) // warm the file cache
  const base = []
  const subj = []
  for (let i = 0; i < runs; i++) {
    base.push(time(process.execPath, limit))
    subj.push(time(process.execPath, subject))
  }
  const ratio = median(subj.map((s, i) => s.ms / base[i].ms))
  const cpuRatio = median(subj.map((s, i) => s.cpu / base[i].cpu))
  const startup = Array.from({length: runs}, () => time(process.execPath, ['-e', '0']))
  const cell = (xs) =>
    `${median(xs.map((x) => x.ms)).toFixed(0)} ms wall, ${median(xs.map((x) => x.cpu)).toFixed(0)} ms CPU`
  console.log(
    `exp graph show, ${n} nodes, ${runs} runs (medians; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  )
  console.log(`  exp graph show      ${cell(subj)}`)
  console.log(`  limit-graph.js      ${cell(base)}`)
  console.log(`  node -e 0           ${cell(startup)}`)
  console.log(
    `  ratio               ${ratio.toFixed(2)}× wall, ${cpuRatio.toFixed(2)}× CPU   target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'MISSED'}`,
  )
} finally {
  rmSync(ws, {force: true, recursive: true})
}

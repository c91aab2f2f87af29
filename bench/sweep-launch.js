#!/usr/bin/env node
// Sweep launch overhead per variant: `exp launch SWEEP --jobs J` over V variants whose engines are `python3 -c pass`
// (train and evaluate), against a minimal script running the same engine commands with the same concurrency
// (J at once, train then evaluate per variant). Both measured in this run; prints the per-variant overhead and the
// ratio. A measurement to read, not a test.
//
//   npm run bench:sweep-launch             # V = 50, J = 4
//   node bench/sweep-launch.js --variants 20 --jobs 2
import {spawn, spawnSync} from 'node:child_process'
import {appendFileSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.cjs')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const variants = arg('--variants', 50)
const jobs = arg('--jobs', 4)
const engine = spawnSync('python3', ['-c', 'pass']).status === 0 ? ['python3', '-c', 'pass'] : ['true']

const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-sweep-'))
const exp = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: ws,
    encoding: 'utf8',
    env: {...process.env, EXP_ROOT: ws},
  })
  if (r.status !== 0) throw new Error(`exp ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r
}
const run = (argv, cwd) =>
  new Promise((resolve, reject) => {
    // in its own session, as exp starts engines (Linux schedules each session's autogroup fairly: without this the
    // baseline competes with the whole machine while exp's engines do not)
    const child = spawn(argv[0], argv.slice(1), {cwd, detached: true, stdio: 'ignore'})
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`))))
  })
/** the same engine commands, J variants at once, train then evaluate in each: what exp adds nothing to */
async function minimal(dirs) {
  let next = 0
  const worker = async () => {
    while (next < dirs.length) {
      const dir = dirs[next++]
      await run(engine, dir)
      await run(engine, dir)
    }
  }
  await Promise.all(Array.from({length: jobs}, worker))
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6

try {
  exp('init', '.')
  appendFileSync(
    path.join(ws, 'exp.yaml'),
    `engines:\n  train: ${JSON.stringify(engine)}\n  evaluate: ${JSON.stringify(engine)}\n`,
  )
  const a = Array.from({length: Math.ceil(variants / 5)}, (_, i) => i + 1).join(',')
  const b = Array.from({length: Math.min(5, variants)}, (_, i) => i + 1).join(',')
  // keys of the base config `exp init` writes (a grid over a key it does not have is refused)
  exp('new', 'sw', '--grid', `model.latent_dim=${a}`, '--grid', `training.epochs=${b}`, '--date', '2025-01-01')
  const sweep = path.join(ws, 'experiments', '2025-01-01-sw')
  const dirs = readdirSync(sweep, {withFileTypes: true})
    .filter((d) => d.isDirectory() && /^latent-dim/.test(d.name))
    .map((d) => path.join(sweep, d.name))
  // the baseline before and after exp (a loaded machine drifts): their mean is what exp is compared with
  let t0 = process.hrtime.bigint()
  await minimal(dirs)
  const before = ms(t0)
  t0 = process.hrtime.bigint()
  exp('launch', 'sw', '--jobs', String(jobs))
  const launched = ms(t0)
  t0 = process.hrtime.bigint()
  await minimal(dirs)
  const after = ms(t0)
  const base = (before + after) / 2
  const n = dirs.length
  console.log(`sweep launch, ${n} variants, --jobs ${jobs}, engines: ${engine.join(' ')} (train and evaluate)`)
  console.log(
    `  minimal script (same commands, same concurrency): ${before.toFixed(0)} ms before, ${after.toFixed(0)} ms after`,
  )
  console.log(`  exp launch:                                       ${launched.toFixed(0)} ms`)
  console.log(
    `  overhead per variant: ${((launched - base) / n).toFixed(1)} ms; ratio exp / minimal: ${(launched / base).toFixed(2)}`,
  )
} finally {
  rmSync(ws, {force: true, recursive: true})
}

#!/usr/bin/env node
// `exp remote push` of 1 GB of checkpoints against `rclone copy` of the same folder, to the same kind of remote
// (a local-directory rclone remote, configured through RCLONE_CONFIG_* — never your own rclone.conf). Target ≤ 1.2×.
//
//   node bench/remote-push.js [--bytes 1073741824] [--runs 3]
//
// The checkpoint has its MANIFEST.json (as a completed train stage leaves it), so exp compares by manifest and does not
// hash. Runs alternate (baseline, exp, baseline, exp …); the ratio is the median of the per-run ratios.
import {spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const EXP = path.join(ROOT, 'bin', 'run.cjs')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const BYTES = arg('bytes', 1024 ** 3)
const RUNS = arg('runs', 3)
const TARGET = 1.2

const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-remote-'))
writeFileSync(path.join(dir, 'rclone.conf'), '')
const env = {
  ...process.env,
  EXP_CACHE_DIR: path.join(dir, 'cache'),
  RCLONE_CONFIG: path.join(dir, 'rclone.conf'),
  RCLONE_CONFIG_LOC_TYPE: 'local',
}
const run = (cmd, args, cwd = dir) => {
  // each timing starts with no dirty pages: else the second of a pair pays for the first's writeback (the same 1 GB)
  spawnSync('sync')
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {cwd, encoding: 'utf8', env})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e9
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  const ws = path.join(dir, 'ws')
  run(process.execPath, [EXP, 'init', ws])
  run(process.execPath, [EXP, 'new', 'bench', '--date', '2026-11-30', '--hypothesis', 'bench'], ws)
  const ckpt = path.join(ws, 'experiments', '2026-11-30-bench', 'checkpoints', 'r1')
  mkdirSync(ckpt, {recursive: true})
  const files = []
  const parts = 4
  for (let i = 0; i < parts; i++) {
    const data = Buffer.alloc(Math.floor(BYTES / parts), randomBytes(65_521))
    writeFileSync(path.join(ckpt, `shard-${i}.pt`), data)
    files.push({path: `shard-${i}.pt`, sha256: createHash('sha256').update(data).digest('hex'), size: data.length})
  }
  writeFileSync(
    path.join(ckpt, 'MANIFEST.json'),
    JSON.stringify({bytes: BYTES, files, format: 'exp-checkpoint-manifest', run_id: 'r1', version: 1}),
  )
  const ratios = []
  const rows = []
  for (let r = 0; r < RUNS; r++) {
    const base = path.join(dir, `remote-rclone-${r}`)
    const mine = path.join(dir, `remote-exp-${r}`)
    const baseline = run('rclone', ['copy', ckpt, `loc:${base}`, '--retries', '1'])
    const subject = run(process.execPath, [EXP, 'remote', 'push', '--rclone-remote', 'loc:', '--rclone-root', mine], ws)
    rmSync(base, {force: true, recursive: true})
    rmSync(mine, {force: true, recursive: true})
    rows.push({exp: subject, rclone: baseline})
    ratios.push(subject / baseline)
  }
  const ratio = median(ratios)
  const mb = BYTES / 1024 ** 2
  console.log(
    `remote push of ${mb.toFixed(0)} MB of checkpoints (median of ${RUNS}): rclone copy ${median(rows.map((x) => x.rclone)).toFixed(2)} s, exp remote push ${median(rows.map((x) => x.exp)).toFixed(2)} s`,
  )
  console.log(`ratio ${ratio.toFixed(2)}× (target ≤ ${TARGET}×): ${ratio <= TARGET ? 'met' : 'NOT met'}`)
  process.exitCode = ratio <= TARGET ? 0 : 1
} finally {
  rmSync(dir, {force: true, recursive: true})
}

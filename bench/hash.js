#!/usr/bin/env node
// Hashing throughput of exp against sha256sum over the same files (issue 15). Run through `npm run bench:hash`.
//
//   node bench/hash.js [--runs 3] [--big-bytes 2147483648] [--files 2000] [--file-bytes 1048576] [--keep]
//                      [--exp path/to/bin/run.cjs] [--out bench/results.hash.json]
//
// Two checkpoints in a workspace made by `exp init`: one file of 2 GB (sparse: no disk used) and 2,000 files of
// 1 MB (random bytes). Each gets its manifest with `exp verify --adopt` (not timed); then, per run and per
// checkpoint, `sha256sum FILES…` and `exp verify NAME` (the full check: every file's sha256 against the manifest,
// start-up included) are timed back to back. Figures are medians; the ratio is the median of the per-run ratios
// (target: exp ≤ 1.25 × sha256sum's time). CPU time (user + system, from /usr/bin/time) is reported beside wall time.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, promises as fs, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const TARGET = 1.25

const args = {}
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
  if (i + 1 < process.argv.length && !process.argv[i + 1].startsWith('--')) args[a.slice(2)] = process.argv[++i]
  else args[a.slice(2)] = true
}
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 11)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  )
  process.exit(0)
}
const runs = Number(args.runs ?? 3)
const bigBytes = Number(args['big-bytes'] ?? 2 * 1024 ** 3)
const fileCount = Number(args.files ?? 2000)
const fileBytes = Number(args['file-bytes'] ?? 1024 ** 2)
const EXP = path.resolve(String(args.exp ?? path.join(ROOT, 'bin', 'run.cjs')))
const outFile = path.resolve(String(args.out ?? path.join(HERE, 'results.hash.json')))
const work = path.join(HERE, '.work', `hash-${process.pid}`)

/** Run to the end; {ms, cpu} from /usr/bin/time (wall and user + system of the process and its threads). */
function timed(command, argv, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S', command, ...argv], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const [e, u, s] = err.trim().split('\n').pop().split(' ').map(Number)
      if (code !== 0)
        reject(new Error(`${command} ${argv.slice(0, 3).join(' ')} … exited ${code}: ${err.slice(0, 400)}`))
      else resolve({cpu: (u + s) * 1000, ms: e * 1000})
    })
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]

async function main() {
  await fs.mkdir(work, {recursive: true})
  await timed(process.execPath, [EXP, 'init', work], work)
  const ckOf = (name) => path.join(work, 'experiments', `2025-01-01-${name}`, 'checkpoints', 'r1')
  for (const name of ['big', 'many']) {
    await fs.mkdir(ckOf(name), {recursive: true})
    await fs.writeFile(path.join(work, 'experiments', `2025-01-01-${name}`, 'config.yaml'), 'seed: 1\n')
  }
  await fs.truncate(
    await fs
      .open(path.join(ckOf('big'), 'weights.bin'), 'w')
      .then(async (h) => (await h.close(), path.join(ckOf('big'), 'weights.bin'))),
    bigBytes,
  )
  for (let i = 0; i < fileCount; i++)
    await fs.writeFile(path.join(ckOf('many'), `shard-${String(i).padStart(5, '0')}.bin`), randomBytes(fileBytes))
  await timed(process.execPath, [EXP, 'verify', '--adopt', 'big', 'many'], work)

  const cases = [
    {files: ['weights.bin'], label: `1 file of ${(bigBytes / 1024 ** 3).toFixed(1)} GB (sparse)`, name: 'big'},
    {
      files: (await fs.readdir(ckOf('many'))).filter((f) => f.endsWith('.bin')).sort(),
      label: `${fileCount} files of ${(fileBytes / 1024 ** 2).toFixed(0)} MB`,
      name: 'many',
    },
  ]
  const results = []
  for (const c of cases) {
    const base = []
    const subj = []
    // warm the page cache once, so neither side pays the first read from disk
    await timed('sha256sum', c.files, ckOf(c.name))
    for (let r = 0; r < runs; r++) {
      base.push(await timed('sha256sum', c.files, ckOf(c.name)))
      subj.push(await timed(process.execPath, [EXP, 'verify', c.name], work))
    }
    const bytes = c.name === 'big' ? bigBytes : fileCount * fileBytes
    const row = {
      case: c.label,
      cpu_ratio: median(subj.map((s, i) => s.cpu / base[i].cpu)),
      exp_cpu_ms: median(subj.map((s) => s.cpu)),
      exp_mb_s: bytes / 1024 ** 2 / (median(subj.map((s) => s.ms)) / 1000),
      exp_ms: median(subj.map((s) => s.ms)),
      ratio: median(subj.map((s, i) => s.ms / base[i].ms)),
      samples: {exp: subj, sha256sum: base},
      sha256sum_cpu_ms: median(base.map((b) => b.cpu)),
      sha256sum_mb_s: bytes / 1024 ** 2 / (median(base.map((b) => b.ms)) / 1000),
      sha256sum_ms: median(base.map((b) => b.ms)),
    }
    results.push(row)
    console.log(
      `${row.case.padEnd(28)} sha256sum ${(row.sha256sum_ms / 1000).toFixed(2)} s (${row.sha256sum_mb_s.toFixed(0)} MB/s)  exp verify ${(row.exp_ms / 1000).toFixed(2)} s (${row.exp_mb_s.toFixed(0)} MB/s)  ratio ${row.ratio.toFixed(2)}× (CPU ${row.cpu_ratio.toFixed(2)}×)  target ≤ ${TARGET}×: ${row.ratio <= TARGET ? 'met' : 'MISSED'}`,
    )
  }
  const machine = {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    load: os.loadavg(),
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
  }
  await fs.writeFile(
    outFile,
    JSON.stringify({date: new Date().toISOString(), machine, results, runs, target: TARGET}, null, 2) + '\n',
  )
  console.log(
    `load average ${machine.load.map((l) => l.toFixed(1)).join(' ')}; ${runs} runs; written ${path.relative(process.cwd(), outFile)}`,
  )
}

try {
  await main()
} finally {
  if (!args.keep && existsSync(work)) await fs.rm(work, {force: true, recursive: true})
}

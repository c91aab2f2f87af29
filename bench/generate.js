#!/usr/bin/env node
// Synthetic exp workspace of N experiments, shaped like real ones, for the benchmarks (bench/run.js).
//
//   node bench/generate.js --out /tmp/ws --n 1000 [--checkpoint-bytes 10485760] [--seed 1] [--now 2025-06-01]
//
// Each experiment gets config.yaml, notes.md (some with a `Status: ✓` or `Status: ✗` line), metadata.json (a few
// with a status), one to three reports in reports/ (gates passed, failed, or no verdict), a checkpoints/ folder of
// three files summing to --checkpoint-bytes (files over 64 KiB are sparse: set with truncate, so 1 GB costs no disk),
// a training log, for some a finished run record, and for some a workspace-level report reports/test_<name>.json.
// Ages are a realistic mix (a third older than 30 days, so stale without a verdict); mtimes are set with utimes.
// Deterministic: the same --seed, --n, --checkpoint-bytes and --now give the same tree.
import {spawnSync} from 'node:child_process'
import {existsSync, promises as fs, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const PACKAGE_ROOT = path.resolve(HERE, '..')
const DAY = 86_400_000
const SPARSE_FROM = 64 * 1024
const CONCURRENCY = 32

/** mulberry32: a small seeded PRNG, so every run builds the same tree. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const TOPICS = [
  'latent',
  'quadratic',
  'viscosity',
  'lr',
  'epochs',
  'nx',
  'modes',
  'amplitude',
  'seed',
  'baseline',
  'ablation',
  'sweep',
]
const VARIANTS = [
  '4dim',
  '8dim',
  '16dim',
  '32dim',
  '64dim',
  'low',
  'high',
  'fast',
  'slow',
  'wide',
  'narrow',
  'v2',
  'retry',
]

const FALLBACK_CONFIG = `seed: 0
data:
  nx: 64
  viscosity: 0.05
  t_final: 0.5
  n_train: 128
  n_test: 32
model:
  latent_dim: 8
  quadratic_dim: 6
training:
  epochs: 200
  learning_rate: 0.05
`

function goldenConfig() {
  const file = path.join(PACKAGE_ROOT, 'configs', 'train_burgers_golden.yaml')
  return existsSync(file) ? readFileSync(file, 'utf8') : FALLBACK_CONFIG
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)]
const iso = (ms) => new Date(ms).toISOString()
const dateOf = (ms) => iso(ms).slice(0, 10)
const round = (x, digits = 5) => Number(x.toFixed(digits))

/** The plan of one experiment: every file with its content (or sparse size) and mtime. Pure: no I/O. */
export function planExperiment(i, options) {
  const rand = prng(options.seed * 1_000_003 + i)
  const now = options.now
  // a realistic mix of ages: 35% touched this week, 30% within the month, 35% older than stale_days (30)
  const bucket = rand()
  const idleDays = bucket < 0.35 ? rand() * 7 : bucket < 0.65 ? 7 + rand() * 22 : 31 + rand() * 400
  const last = now - idleDays * DAY
  const durationDays = 0.2 + rand() * 6
  const start = last - durationDays * DAY
  const latent = pick(rand, [4, 8, 16, 32, 64])
  const name = `${dateOf(start)}-${pick(rand, TOPICS)}-${pick(rand, VARIANTS)}-${String(i).padStart(5, '0')}`
  const files = []
  const add = (rel, mtime, content, size) => files.push({content, mtime: Math.min(mtime, last), rel, size})
  const at = (fraction) => start + (last - start) * fraction

  add('config.yaml', start, options.config.replace(/latent_dim: \d+/, `latent_dim: ${latent}`))
  // a person's verdict: 12% metadata/notes success, 8% failed, the rest left to reports or age
  const verdict = rand()
  const metadataStatus = verdict < 0.03 ? 'success' : verdict < 0.05 ? 'failed' : undefined
  const notesStatus =
    verdict >= 0.05 && verdict < 0.14
      ? '✓ converged, beats the golden config'
      : verdict >= 0.14 && verdict < 0.2
        ? '✗ diverged after epoch 40'
        : 'pending'
  const metadata = {
    schema: 1,
    name,
    slug: name.slice(11),
    date: dateOf(start),
    created_at: iso(start),
    hypothesis: `latent_dim ${latent} lowers final_nrmse`,
    base_config: {path: 'configs/train_burgers_golden.yaml', sha256: 'a'.repeat(64)},
    config_sha256: 'b'.repeat(64),
    overrides: [{key: 'model.latent_dim', value: latent}],
    git: null,
    exp_version: '0.1.0',
    ...(metadataStatus ? {status: metadataStatus} : {}),
  }
  add('metadata.json', start, JSON.stringify(metadata, null, 2) + '\n')
  const notes = [
    `# ${name}`,
    '',
    `Created ${dateOf(start)} from \`configs/train_burgers_golden.yaml\`.`,
    '',
    '## Hypothesis',
    '',
    metadata.hypothesis,
    '',
    '## Config changes',
    '',
    `- \`model.latent_dim\`: 8 → ${latent}`,
    '',
    '## Results',
    '',
    'Loss curve flattens after ~150 epochs; see reports/.',
    '',
    `Status: ${notesStatus}`,
    '',
  ].join('\n')
  add('notes.md', last, notes)

  // one to three reports; for 30% of experiments only interim metrics without a verdict (left to notes or age),
  // otherwise each report's gates passed (55%) or failed (45%)
  const reportCount = 1 + Math.floor(rand() * 3)
  const interimOnly = rand() < 0.3
  for (let r = 0; r < reportCount; r++) {
    const when = at((r + 1) / reportCount)
    const nrmse = round(0.05 + rand() * 0.2)
    const kind = rand()
    const report = {
      experiment: name,
      created_at: iso(when),
      final_nrmse: nrmse,
      metrics: {
        final_nrmse: nrmse,
        train_loss: round(rand() * 0.01, 6),
        max_abs_error: round(rand()),
        wall_seconds: round(rand() * 900, 1),
      },
      ...(interimOnly ? {} : {gates: {final_nrmse: {max: 0.15, value: nrmse}}, gates_passed: kind < 0.55}),
    }
    add(`reports/eval_${String(r + 1).padStart(2, '0')}.json`, when, JSON.stringify(report, null, 2) + '\n')
  }
  // checkpoints: three files summing to checkpointBytes
  const parts = [0.25, 0.25, 0.5]
  for (const [k, fraction] of parts.entries()) {
    const rel = k === 2 ? 'checkpoints/best.pt' : `checkpoints/epoch_${String((k + 1) * 100).padStart(4, '0')}.pt`
    add(rel, at(0.5 + k * 0.2), undefined, Math.floor(options.checkpointBytes * fraction))
  }
  const log =
    Array.from({length: 40}, (_, e) => `${iso(at(e / 40))} epoch ${(e + 1) * 5} loss ${round(1 / (e + 2), 6)}`).join(
      '\n',
    ) + '\n'
  add('logs/train.log', at(0.9), log)
  // a finished run record for a quarter of them (never live: live runs would call a backend)
  if (rand() < 0.25) {
    const runId =
      iso(start)
        .replace(/[-:]/g, '')
        .replace('T', '-')
        .replace(/\.\d+Z$/, '') +
      '-' +
      (i % 65_536).toString(16).padStart(4, '0')
    const failed = rand() < 0.3
    const stage = (stageName, state, s, e) => ({
      name: stageName,
      state,
      command: ['python3', `${stageName}.py`, '--config', 'config.yaml'],
      cwd: '.',
      log: `runs/${runId}/${stageName}.log`,
      started_at: iso(s),
      ended_at: iso(e),
      exit_code: state === 'failed' ? 1 : 0,
    })
    const run = {
      schema: 1,
      run_id: runId,
      experiment: name,
      backend: 'local',
      created_at: iso(start),
      updated_at: iso(at(0.8)),
      state: failed ? 'failed' : 'completed',
      stages: [
        stage('train', 'completed', start, at(0.6)),
        stage('evaluate', failed ? 'failed' : 'completed', at(0.6), at(0.8)),
      ],
      report: 'reports/eval_01.json',
    }
    add(`runs/${runId}/run.json`, at(0.8), JSON.stringify(run, null, 2) + '\n')
  }
  // a workspace-level report for 20% of them, matched to the experiment by its name
  const workspaceReport =
    rand() < 0.2
      ? {
          content:
            JSON.stringify(
              {
                experiment: name,
                created_at: iso(last),
                final_nrmse: round(0.05 + rand() * 0.2),
                gates_passed: rand() < 0.6,
              },
              null,
              2,
            ) + '\n',
          mtime: last,
          rel: `test_${name}.json`,
        }
      : undefined
  return {files, last, name, workspaceReport}
}

async function writeExperiment(base, plan) {
  const dir = path.join(base, plan.name)
  const dirs = new Set([dir])
  for (const f of plan.files) {
    let d = path.dirname(path.join(dir, f.rel))
    while (d !== dir && !dirs.has(d)) {
      dirs.add(d)
      d = path.dirname(d)
    }
  }
  const sorted = [...dirs].sort((a, b) => a.length - b.length)
  for (const d of sorted) await fs.mkdir(d, {recursive: true})
  for (const f of plan.files) {
    const file = path.join(dir, f.rel)
    if (f.content !== undefined) await fs.writeFile(file, f.content)
    else if (f.size >= SPARSE_FROM) {
      await fs.writeFile(file, '')
      await fs.truncate(file, f.size) // sparse: the size without the blocks
    } else await fs.writeFile(file, Buffer.alloc(f.size))
    const t = new Date(f.mtime)
    await fs.utimes(file, t, t)
  }
  // directories last (writing into them moved their mtimes), deepest first
  const t = new Date(plan.last)
  for (const d of sorted.reverse()) await fs.utimes(d, t, t)
}

async function mapLimit(items, limit, fn) {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
}

/**
 * Build the workspace at `dir` (which must not exist or be empty). `expBin`: the built bin/run.cjs, used for
 * `exp init` so exp.yaml is exactly what exp writes; without it a minimal exp.yaml is written.
 */
export async function generateWorkspace({
  dir,
  n,
  checkpointBytes = 10 * 1024 * 1024,
  seed = 1,
  now = Date.now(),
  expBin,
}) {
  await fs.mkdir(dir, {recursive: true})
  const bin = expBin ?? path.join(PACKAGE_ROOT, 'bin', 'run.cjs')
  let initialised = false
  if (existsSync(bin) && existsSync(path.join(path.dirname(path.dirname(bin)), 'dist'))) {
    const r = spawnSync(process.execPath, [bin, 'init', dir], {encoding: 'utf8'})
    initialised = r.status === 0
  }
  if (!initialised) {
    for (const d of ['experiments', 'experiments-archive', 'configs', 'reports'])
      await fs.mkdir(path.join(dir, d), {recursive: true})
    await fs.writeFile(path.join(dir, 'exp.yaml'), 'version: 1\n')
  }
  const options = {checkpointBytes, config: goldenConfig(), now, seed}
  const experiments = path.join(dir, 'experiments')
  const reports = path.join(dir, 'reports')
  let stale = 0
  await mapLimit(
    Array.from({length: n}, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const plan = planExperiment(i, options)
      if (now - plan.last > 30 * DAY) stale++
      await writeExperiment(experiments, plan)
      if (plan.workspaceReport) {
        const file = path.join(reports, plan.workspaceReport.rel)
        await fs.writeFile(file, plan.workspaceReport.content)
        const t = new Date(plan.workspaceReport.mtime)
        await fs.utimes(file, t, t)
      }
    },
  )
  return {dir, experiments: n, idleOver30Days: stale}
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
    const [k, v] = a.includes('=') ? a.slice(2).split(/=(.*)/s) : [a.slice(2), argv[++i]]
    out[k] = v
  }
  return out
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = parseArgs(process.argv.slice(2))
  if (!args.out) {
    console.error(
      'usage: node bench/generate.js --out DIR [--n 1000] [--checkpoint-bytes 10485760] [--seed 1] [--now YYYY-MM-DD]',
    )
    process.exit(2)
  }
  const dayStart = Math.floor(Date.now() / DAY) * DAY // same day, same tree
  const started = performance.now()
  const result = await generateWorkspace({
    checkpointBytes: Number(args['checkpoint-bytes'] ?? 10 * 1024 * 1024),
    dir: path.resolve(args.out),
    n: Number(args.n ?? 1000),
    now: args.now ? Date.parse(args.now) : dayStart,
    seed: Number(args.seed ?? 1),
  })
  console.log(
    `${result.experiments} experiments in ${result.dir} (${result.idleOver30Days} idle for over 30 days) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
}

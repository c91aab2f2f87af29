#!/usr/bin/env node
// The main job, end to end on the embedded Burgers engine, in a scratch workspace: experiments with different
// configs are created, launched (one in the foreground, two in the background), listed; a 2×2 sweep is scaffolded from
// an experiment_summary.md and its variants launched and compared; the passing ones (and the sweep's best variant)
// promoted under an NRMSE gate, the leaderboard shown, the rest archived; then a small work graph is run by two
// workers. Runs the built exp exactly as a user would.
import {execFileSync} from 'node:child_process'
import {appendFileSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.cjs')
const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-demo-'))
const env = {...process.env, EXP_ROOT: ws}

/** One word as a POSIX shell reads it: bare when safe, else in single quotes (so every printed line can be pasted). */
const quote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

/** A step that must work: the demo stops (non-zero) if it does not. Printed as a command ready to paste. */
const exp = (...args) => {
  console.log(`\n$ exp ${args.map(quote).join(' ')}`)
  execFileSync(process.execPath, [bin, ...args], {cwd: ws, env, stdio: 'inherit'})
}

console.log(`$ cd ${quote(ws)}    # every command below runs in the demo workspace`)
exp('init', '.')
exp('new', 'golden', '--hypothesis', 'The golden config passes the 0.1 NRMSE gate')
exp(
  'new',
  'tiny-latent',
  '--set',
  'model.latent_dim=2',
  '--hypothesis',
  'Two POD modes are too few: the NRMSE rises above 0.1',
)
exp('new', 'wide-latent', '--set', 'model.latent_dim=24', '--hypothesis', 'More POD modes lower the NRMSE')

exp('launch', 'golden')
exp('launch', 'tiny-latent', '--detach')
exp('launch', 'wide-latent', '--detach')
exp('runs')
exp('watch', 'tiny-latent', '--interval', '0.5')
exp('watch', 'wide-latent', '--interval', '0.5')
exp('list')
exp('logs', 'tiny-latent', '--stage', 'evaluate')

// A sweep: one experiment with a variant per run of the "All Runs" table of an experiment_summary.md
appendFileSync(
  path.join(ws, 'exp.yaml'),
  'sweep:\n  columns: {"Latent Dim": model.latent_dim, "Epochs": training.epochs}\n  abbreviations: {model.latent_dim: dim}\n  templates: {".json": configs/train_burgers_golden.yaml}\n',
)
writeFileSync(
  path.join(ws, 'experiment_summary.md'),
  [
    '# Experiment: latent-sweep',
    '',
    '## Resources',
    '### Models',
    '- Burgers POD: engines/burgers',
    '### Dataset',
    '- Path: data/burgers.json',
    '',
    '## Configuration',
    '- **GPUs**: 0',
    '',
    '## All Runs',
    '| Run Name | Latent Dim | Epochs | Type | Est. Time |',
    '|---|---|---|---|---|',
    '| pod_dim4_e100 | 4 | 100 | Fine-tuned | ~3s |',
    '| pod_dim4_e200 | 4 | 200 | Fine-tuned | ~3s |',
    '| pod_dim16_e100 | 16 | 100 | Fine-tuned | ~3s |',
    '| pod_dim16_e200 | 16 | 200 | Fine-tuned | ~3s |',
    '| pod_baseline | - | - | Control | N/A |',
    '',
  ].join('\n'),
)
exp('new', '--from-summary', 'experiment_summary.md', '--hypothesis', 'More POD modes matter more than more epochs')
for (const v of ['dim4_epochs100', 'dim4_epochs200', 'dim16_epochs100', 'dim16_epochs200'])
  exp('launch', `latent-sweep/${v}`)
exp('list', '--variants')
exp('show', 'latent-sweep')
exp('compare', 'latent-sweep')

exp('promote', '--threshold', '0.1', '--yes')
exp('promote', 'latent-sweep', '--threshold', '0.1', '--yes')
exp('leaderboard')
exp('archive', '--status', 'failed', '--yes')
exp('list')
exp('list', '--archived')

// the work graph: train → two finetunes → two evals → noop → paper, run by two workers on the embedded engine
const quick = ['--set', 'training.epochs=40', '--set', 'data.n_train=48']
exp('graph', 'add', 'base', '--action', 'train', ...quick)
exp('graph', 'add', 'ft-small', '--action', 'finetune', '--depends-on', 'base', ...quick, '--set', 'model.latent_dim=6')
exp('graph', 'add', 'ft-wide', '--action', 'finetune', '--depends-on', 'base', ...quick, '--set', 'model.latent_dim=12')
exp(
  'graph',
  'add',
  'eval-small',
  '--action',
  'eval',
  '--depends-on',
  'ft-small',
  ...quick,
  '--set',
  'model.latent_dim=6',
)
exp(
  'graph',
  'add',
  'eval-wide',
  '--action',
  'eval',
  '--depends-on',
  'ft-wide',
  ...quick,
  '--set',
  'model.latent_dim=12',
)
exp('graph', 'add', 'evals-done', '--action', 'noop', '--depends-on', 'eval-small', '--depends-on', 'eval-wide')
exp('graph', 'add', 'paper', '--action', 'paper', '--depends-on', 'evals-done')
exp('graph', 'show')
exp('graph', 'run', '--workers', '2')
exp('graph', 'show')
console.log(`\nDemo workspace: ${ws}`)

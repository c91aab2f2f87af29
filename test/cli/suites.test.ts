import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {
  exp,
  expJson,
  inProcess,
  makeExperiment,
  removeDir,
  requireTool,
  tempDir,
  tempWorkspace,
} from '../support/exp.js'
import {clusterUnavailable, type Cluster, stopCluster, suiteCluster} from '../support/slurm.js'

/** An engine with named evaluations: `fail: NAME` in config.yaml fails that gate, `crash: NAME` exits 3, `sleep: S` waits. */
const ENGINE = `import json, os, sys, time
cfg = dict(line.split(': ', 1) for line in open('config.yaml').read().splitlines() if ': ' in line)
mode = sys.argv[1]
if mode == 'train':
    os.makedirs(sys.argv[2], exist_ok=True)
    open(os.path.join(sys.argv[2], 'model.txt'), 'w').write('weights')
    sys.exit(0)
checkpoint, report = sys.argv[2], sys.argv[3]
assert os.path.exists(os.path.join(checkpoint, 'model.txt')), 'no checkpoint'
started = time.time()
time.sleep(float(cfg.get('sleep', '0')))
if cfg.get('crash') == mode:
    sys.exit(3)
os.makedirs(os.path.dirname(report), exist_ok=True)
value = {'nrmse': 0.05, 'rollout': 0.08}[mode]
json.dump({'gates_passed': cfg.get('fail') != mode, 'final_nrmse': value, 'started': started, 'ended': time.time()}, open(report, 'w'))
`

const EXP_YAML = [
  'engines:',
  '  train: ["{python}", "{workspace}/engine.py", train, "{checkpoint_dir}"]',
  '  evaluate:',
  '    nrmse: ["{python}", "{workspace}/engine.py", nrmse, "{checkpoint_dir}", "{report}"]',
  '    rollout: ["{python}", "{workspace}/engine.py", rollout, "{checkpoint_dir}", "{report}"]',
  '',
].join('\n')

async function suiteWorkspace(ws: string): Promise<void> {
  await fs.writeFile(path.join(ws, 'engine.py'), ENGINE)
  await fs.appendFile(path.join(ws, 'exp.yaml'), EXP_YAML)
}

const runRecord = async (ws: string, name: string, runId: string) =>
  JSON.parse(await fs.readFile(path.join(ws, 'experiments', name, 'runs', runId, 'run.json'), 'utf8'))
const status = async (ws: string, name: string, env?: Record<string, string>) =>
  (await expJson(['list'], {cwd: ws, env})).json.experiments.find((e: any) => e.name === name)

describe('evaluation suites on the local backend', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let ws: string

  before(async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    await suiteWorkspace(ws)
    await makeExperiment(ws, '2025-02-01-ok', {'config.yaml': 'seed: 1\n'})
    await makeExperiment(ws, '2025-02-01-bad', {'config.yaml': 'fail: rollout\n'})
    await makeExperiment(ws, '2025-02-01-crash', {'config.yaml': 'crash: nrmse\n'})
  })
  after(() => removeDir(ws))

  it('runs train, then each evaluation as its own stage with its own report; every verdict passes → success', async () => {
    const r = await expJson(['launch', 'ok'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const id = r.json.run_id
    const run = await runRecord(ws, '2025-02-01-ok', id)
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state]),
      [
        ['train', 'completed'],
        ['evaluate:nrmse', 'completed'],
        ['evaluate:rollout', 'completed'],
      ],
    )
    assert.deepEqual(run.reports, {nrmse: `reports/${id}/nrmse.json`, rollout: `reports/${id}/rollout.json`})
    assert.equal(run.checkpoint, `checkpoints/${id}`)
    assert.equal(run.report, undefined)
    assert.equal(run.stages[2].command.at(-1), `reports/${id}/rollout.json`)
    const nrmse = JSON.parse(
      await fs.readFile(path.join(ws, 'experiments', '2025-02-01-ok', run.reports.nrmse), 'utf8'),
    )
    const rollout = JSON.parse(
      await fs.readFile(path.join(ws, 'experiments', '2025-02-01-ok', run.reports.rollout), 'utf8'),
    )
    assert.ok(nrmse.ended <= rollout.started, 'locally the evaluations run one after another')
    const item = await status(ws, '2025-02-01-ok')
    assert.equal(item.status, 'success')
    // the main metric and promotion name an evaluation: rollout.final_nrmse
    const promoted = await expJson(['promote', 'ok', '--metric', 'rollout.final_nrmse', '--auto-promote'], {cwd: ws})
    assert.equal(promoted.code, 0, promoted.stderr)
    assert.equal(promoted.json.promotions[0].value, 0.08)
    // a leaderboard ranks by one metric: this one has its own file
    const board = await expJson(
      ['leaderboard', '--leaderboard-csv', 'reports/leaderboard-rollout.final_nrmse-min.csv'],
      {cwd: ws},
    )
    assert.equal(board.json.rows[0]['rollout.final_nrmse'], 0.08)
    assert.equal(board.json.rows[0]['nrmse.final_nrmse'], 0.05)
  })

  it('one evaluation failing its gate makes the experiment failed, naming that evaluation; --eval reruns just it', async () => {
    const first = await expJson(['launch', 'bad'], {cwd: ws})
    assert.equal(first.code, 0, first.stderr)
    const item = await status(ws, '2025-02-01-bad')
    assert.equal(item.status, 'failed')
    assert.equal(
      item.reason,
      `experiments/2025-02-01-bad/reports/${first.json.run_id}/rollout.json: gates_passed is false`,
    )
    // fixed; re-run only rollout on the same checkpoint
    await fs.writeFile(path.join(ws, 'experiments', '2025-02-01-bad', 'config.yaml'), 'seed: 2\n')
    const again = await expJson(['launch', 'bad', '--stage', 'evaluate', '--eval', 'rollout'], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    const run = await runRecord(ws, '2025-02-01-bad', again.json.run_id)
    assert.deepEqual(
      run.stages.map((s: any) => s.name),
      ['evaluate:rollout'],
    )
    assert.equal(run.checkpoint, `checkpoints/${first.json.run_id}`)
    assert.deepEqual(run.reports, {rollout: `reports/${again.json.run_id}/rollout.json`})
    assert.equal((await status(ws, '2025-02-01-bad')).status, 'success')
    const unknown = await exp(['launch', 'bad', '--stage', 'evaluate', '--eval', 'passkey'], {cwd: ws})
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /no evaluation "passkey" in exp\.yaml engines\.evaluate \(known: nrmse, rollout\)/)
  })

  it('an evaluation that crashes fails the run naming its stage; the other evaluation still runs', async () => {
    const r = await expJson(['launch', 'crash'], {cwd: ws})
    assert.equal(r.code, 1)
    const run = await runRecord(ws, '2025-02-01-crash', r.json.run_id)
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state, s.exit_code]),
      [
        ['train', 'completed', 0],
        ['evaluate:nrmse', 'failed', 3],
        ['evaluate:rollout', 'completed', 0],
      ],
    )
    const item = await status(ws, '2025-02-01-crash')
    assert.equal(item.status, 'failed')
    assert.equal(item.reason, `run ${r.json.run_id} failed: evaluate:nrmse exited with code 3`)
  })

  it('exp report shows the suite as a table per checkpoint', async () => {
    const r = await expJson(['report', 'bad'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const html = await fs.readFile(path.join(ws, r.json.file), 'utf8')
    const rows = [...html.matchAll(/<tr><td>(nrmse|rollout)<\/td><td>([\w-]+)<\/td><td><span class="(\w+)">/g)].map(
      (m) => [m[1], m[3]],
    )
    assert.deepEqual(rows, [
      ['nrmse', 'pass'],
      ['rollout', 'fail'],
      ['rollout', 'pass'],
    ])
    assert.equal((html.match(/<h3>checkpoints\//g) ?? []).length, 1, 'one checkpoint, evaluated twice')
  })
})

describe('evaluation suites on a real SLURM cluster', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let cluster: Cluster | undefined
  let scratch: string
  let ws: string

  before(async function () {
    this.timeout(120_000)
    const missing = clusterUnavailable()
    requireTool(this, missing === undefined, missing ?? '')
    cluster = await suiteCluster()
    scratch = await tempDir('exp-suite-slurm-')
    ws = path.join(scratch, 'ws')
    assert.equal((await exp(['init', ws], {cwd: scratch})).code, 0)
    await suiteWorkspace(ws)
    await makeExperiment(ws, '2025-02-02-par', {'config.yaml': 'sleep: 4\n'})
    await makeExperiment(ws, '2025-02-02-gate', {'config.yaml': 'fail: nrmse\n'})
  })
  after(async function () {
    this.timeout(60_000)
    await stopCluster(cluster)
    await removeDir(scratch)
  })

  it('submits one job per evaluation, each afterok on train; they run at the same time', async function () {
    this.timeout(120_000)
    const env = cluster!.env
    const r = await expJson(['launch', 'par', '--slurm'], {cwd: ws, env})
    assert.equal(r.code, 0, r.stderr)
    const [train, nrmse, rollout] = r.json.record.stages
    const log = await fs.readFile(path.join(ws, r.json.run_dir, 'launch.log'), 'utf8')
    for (const s of [nrmse, rollout])
      assert.match(
        log,
        new RegExp(
          `submitted sbatch --parsable --dependency=afterok:${train.job_id} --kill-on-invalid-dep=yes \\S+${s.name}\\.slurm`,
        ),
      )
    const watched = await exp(['watch', 'par', '--interval', '1'], {cwd: ws, env, timeout: 100_000})
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    const run = await runRecord(ws, '2025-02-02-par', r.json.run_id)
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state]),
      [
        ['train', 'completed'],
        ['evaluate:nrmse', 'completed'],
        ['evaluate:rollout', 'completed'],
      ],
    )
    const dir = path.join(ws, 'experiments', '2025-02-02-par')
    const a = JSON.parse(await fs.readFile(path.join(dir, run.reports.nrmse), 'utf8'))
    const b = JSON.parse(await fs.readFile(path.join(dir, run.reports.rollout), 'utf8'))
    assert.ok(
      Math.max(a.started, b.started) < Math.min(a.ended, b.ended),
      `the evaluations overlap in time: ${JSON.stringify([a.started, a.ended, b.started, b.ended])}`,
    )
    assert.equal((await status(ws, '2025-02-02-par', env)).status, 'success')
  })

  it('an evaluation failing its gate on SLURM makes the experiment failed, naming it', async function () {
    this.timeout(120_000)
    const env = cluster!.env
    const r = await expJson(['launch', 'gate', '--slurm'], {cwd: ws, env})
    assert.equal(r.code, 0, r.stderr)
    const watched = await exp(['watch', 'gate', '--interval', '1'], {cwd: ws, env, timeout: 100_000})
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    const item = await status(ws, '2025-02-02-gate', env)
    assert.equal(item.status, 'failed')
    assert.equal(item.reason, `experiments/2025-02-02-gate/reports/${r.json.run_id}/nrmse.json: gates_passed is false`)
  })
})

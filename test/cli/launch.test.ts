import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {isProcessAlive} from '../../src/lib/process-alive.js'
import {
  EXP_BIN,
  exp,
  expJson,
  makeExperiment,
  removeDir,
  requireTool,
  ROOT,
  tempDir,
  tempWorkspace,
  treeSnapshot,
  writeTree,
} from '../support/exp.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function pythonAvailable(): Promise<boolean> {
  return (await execa('python3', ['--version'], {reject: false})).exitCode === 0
}

/** The run records of an experiment, newest first. */
async function runsOf(experimentDir: string): Promise<any[]> {
  const dir = path.join(experimentDir, 'runs')
  const ids = existsSync(dir) ? (await fs.readdir(dir)).sort().reverse() : []
  return Promise.all(ids.map(async (id) => JSON.parse(await fs.readFile(path.join(dir, id, 'run.json'), 'utf8'))))
}

/** Wait until the newest run of an experiment satisfies `ok` (polling run.json). */
async function waitForRun(
  experimentDir: string,
  ok: (run: any) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const [run] = await runsOf(experimentDir).catch(() => [])
    if (run && ok(run)) return run
    await sleep(25)
  }
  throw new Error(`timed out waiting for: ${what}`)
}

/**
 * The process has ended. One that ended may stay visible to kill(pid, 0) as a zombie until its new parent reaps it
 * (some init processes reap only every second or so): a zombie counts as gone (Linux: /proc), else wait a moment.
 */
async function gone(pid: number): Promise<boolean> {
  const zombie = () => {
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return false
    }
  }
  const deadline = Date.now() + 5000
  while (isProcessAlive(pid) && !zombie() && Date.now() < deadline) await sleep(25)
  return !isProcessAlive(pid) || zombie()
}

function experimentDir(ws: string, name: string): string {
  const dir = path.join(ws, 'experiments')
  const match = readdirSync(dir).find((d) => d === name || d.endsWith(`-${name}`))
  if (!match) throw new Error(`no experiment ${name}`)
  return path.join(dir, match)
}

const LOG_LINE = /^(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] [A-Z][A-Z-]*: .+|Details: .+|Result: .+|)$/

describe('exp launch: the embedded Burgers engine end to end', function () {
  this.timeout(60_000)
  let ws: string
  let golden: string
  let launches: Array<{code: number; stdout: string; stderr: string}>
  let seen: {parsed: number; errors: string[]; states: string[]}

  before(async function () {
    requireTool(this, await pythonAvailable(), 'python3 is not installed')
    ws = await tempWorkspace()
    assert.equal((await exp(['new', 'golden'], {cwd: ws})).code, 0)
    assert.equal((await exp(['new', 'poor', '--set', 'model.latent_dim=2'], {cwd: ws})).code, 0)
    golden = experimentDir(ws, 'golden')
    // read golden's run.json as fast as possible while it runs: every read must be whole, valid JSON
    seen = {errors: [], parsed: 0, states: []}
    let watching = true
    const watcher = (async () => {
      while (watching) {
        const dir = path.join(golden, 'runs')
        for (const id of existsSync(dir) ? await fs.readdir(dir) : []) {
          const text = await fs.readFile(path.join(dir, id, 'run.json'), 'utf8').catch(() => undefined)
          if (text === undefined) continue
          try {
            const state = JSON.parse(text).state
            seen.parsed++
            if (seen.states.at(-1) !== state) seen.states.push(state)
          } catch (error) {
            seen.errors.push(String(error))
          }
        }
        await sleep(1)
      }
    })()
    launches = await Promise.all([exp(['launch', 'golden'], {cwd: ws}), exp(['launch', 'poor'], {cwd: ws})])
    watching = false
    await watcher
  })
  after(() => removeDir(ws))

  it('launches, and list shows success from the real report', async () => {
    assert.equal(launches[0].code, 0, launches[0].stderr)
    assert.match(launches[0].stdout, /completed/)
    assert.match(launches[0].stdout, /final_nrmse 0\.0\d+, gates_passed true/)
    const [run] = await runsOf(golden)
    const list = await expJson(['list'], {cwd: ws})
    const item = list.json.experiments.find((e: any) => e.slug === 'golden')
    assert.equal(item.status, 'success', item.reason)
    assert.equal(item.reason, `experiments/${path.basename(golden)}/reports/${run.run_id}.json: gates_passed is true`)
    assert.ok(item.metric.value < 0.1)
    const show = await expJson(['show', 'golden'], {cwd: ws})
    assert.equal(show.json.runs_detail[0].state, 'completed')
    assert.equal(show.json.reports_detail[0].path, `reports/${run.run_id}.json`)
  })

  it('a poor config is failed, from the real report', async () => {
    assert.equal(launches[1].code, 0, launches[1].stderr) // the run itself completed; the gate failed
    const list = await expJson(['list', '--status', 'failed'], {cwd: ws})
    const item = list.json.experiments.find((e: any) => e.slug === 'poor')
    assert.ok(item, JSON.stringify(list.json))
    assert.match(item.reason, /^experiments\/[\w-]+-poor\/reports\/[\w-]+\.json: gates_passed is false$/)
    assert.ok(item.metric.value > 0.1)
  })

  it('records the run: stages, exit codes, times, commands, pids, logs and launch.log', async () => {
    const [run] = await runsOf(golden)
    assert.equal(run.backend, 'local')
    assert.equal(run.state, 'completed')
    assert.equal(run.report, `reports/${run.run_id}.json`)
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state, s.exit_code]),
      [
        ['train', 'completed', 0],
        ['evaluate', 'completed', 0],
      ],
    )
    for (const s of run.stages) {
      assert.ok(Date.parse(s.started_at) <= Date.parse(s.ended_at))
      assert.ok(Number.isInteger(s.pid))
      assert.equal(s.cwd, golden)
      assert.equal(s.command[0], 'python3')
    }
    assert.deepEqual(run.stages[0].command.slice(1), [
      path.join(ROOT, 'engines', 'burgers', 'train.py'),
      '--config',
      'config.yaml',
      '--out',
      `checkpoints/${run.run_id}`,
      '--metrics',
      `runs/${run.run_id}/metrics.jsonl`,
    ])
    assert.ok(existsSync(path.join(golden, 'checkpoints', run.run_id)))
    const rdir = path.join(golden, 'runs', run.run_id)
    assert.match(await fs.readFile(path.join(rdir, 'train.log'), 'utf8'), /epoch 200\/200 loss/)
    assert.match(await fs.readFile(path.join(rdir, 'evaluate.log'), 'utf8'), /final_nrmse/)
    const log = await fs.readFile(path.join(rdir, 'launch.log'), 'utf8')
    for (const line of log.split('\n')) assert.match(line, LOG_LINE)
    assert.match(log, /\] LAUNCH: run \S+ of \S+-golden on local\n/)
    assert.match(
      log,
      /\] TRAIN: started python3 .*train\.py --config config\.yaml --out checkpoints\/\S+ --metrics runs\/\S+\/metrics\.jsonl\nDetails: pid \d+/,
    )
    assert.match(log, /\] EVALUATE: finished\nDetails: exit code 0 after [\d.]+s\nResult: completed/)
    assert.match(log, /\] RUN: run \S+ finished\n.*\nResult: completed/)
  })

  it('run.json was whole, valid JSON at every read during the run, its state only moving forward', () => {
    assert.deepEqual(seen.errors, [])
    assert.ok(seen.parsed > 3, `only ${seen.parsed} reads`)
    const order = ['queued', 'running', 'completed']
    assert.ok(seen.states.includes('running') && seen.states.at(-1) === 'completed', seen.states.join(' → '))
    for (let i = 1; i < seen.states.length; i++)
      assert.ok(order.indexOf(seen.states[i]) > order.indexOf(seen.states[i - 1]), seen.states.join(' → '))
  })

  it('--stage evaluate re-evaluates the last checkpoint into a new report', async () => {
    const [trained] = await runsOf(golden)
    const r = await expJson(['launch', 'golden', '--stage', 'evaluate'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(
      r.json.record.stages.map((s: any) => [s.name, s.state]),
      [['evaluate', 'completed']],
    )
    const argv = r.json.record.stages[0].command
    assert.equal(argv[argv.indexOf('--checkpoint') + 1], `checkpoints/${trained.run_id}`)
    assert.equal(argv[argv.indexOf('--report') + 1], `reports/${r.json.run_id}.json`)
    assert.equal(r.json.verdict.gates_passed, true)
    assert.ok(existsSync(path.join(golden, 'reports', `${r.json.run_id}.json`)))
    // an experiment that never trained has nothing to evaluate
    await exp(['new', 'untrained'], {cwd: ws})
    const none = await exp(['launch', 'untrained', '--stage', 'evaluate'], {cwd: ws})
    assert.equal(none.code, 1)
    assert.match(none.stderr, /^Error: \S+-untrained has no run with a completed train/)
  })

  it('--dry-run prints the exact commands, working directory and files, and writes nothing', async () => {
    const before = await treeSnapshot(ws)
    const r = await exp(['launch', 'golden', '--dry-run'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /train: python3 \S+\/train\.py --config config\.yaml --out checkpoints\/\S+/)
    assert.match(
      r.stdout,
      /evaluate: python3 \S+\/evaluate\.py --config config\.yaml --checkpoint checkpoints\/\S+ --report reports\/\S+\.json/,
    )
    assert.ok(r.stdout.includes(`working directory: ${golden}`))
    assert.match(r.stdout, /runs\/\S+\/run\.json\n/)
    assert.match(r.stdout, /runs\/\S+\/launch\.log\n/)
    const wrong = await exp(['launch', 'golden', '--partition', 'gpu', '--dry-run'], {cwd: ws})
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /^Error: --partition applies to the slurm backend, but this launch uses local\./)
    const j = await expJson(['launch', 'golden', '--dry-run'], {cwd: ws})
    assert.equal(j.json.dry_run, true)
    assert.equal(j.json.commands.length, 2)
    assert.deepEqual(await treeSnapshot(ws), before)
  })

  it('then promote takes the passing experiment to production', async function () {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    if (!manifest.commands.promote) this.skip() // exp promote is built in parallel; this runs once it exists
    const r = await exp(['promote', '--nrmse-threshold', '0.1', '--auto-promote'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(path.join(ws, 'configs', 'train_golden.yaml')))
    assert.ok(!existsSync(path.join(ws, 'configs', 'train_poor.yaml')))
  })
})

/**
 * A scripted engine whose behaviour an experiment's config chooses (`mode:`): ok, fail, slow (sleeps 30 s), gate
 * (waits for a file `release` in the experiment directory). Its evaluate writes a report WITHOUT gates_passed, so
 * exp.yaml gates decide.
 */
const ENGINE = `import json, os, re, sys, time
stage, config = sys.argv[1], sys.argv[2]
mode = re.search(r"mode:\\s*(\\w+)", open(config).read()).group(1)
if stage == "train":
    out = sys.argv[3]
    print("train mode", mode, flush=True)
    if mode == "fail":
        print("loss is NaN", file=sys.stderr)
        sys.exit(1)
    if mode == "slow":
        time.sleep(30)
    if mode == "gate":
        print("waiting for release ✓", flush=True)
        while not os.path.exists("release"):
            time.sleep(0.02)
        print("released", flush=True)
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "model.txt"), "w").write("ok")
else:
    checkpoint, report = sys.argv[3], sys.argv[4]
    assert os.path.exists(os.path.join(checkpoint, "model.txt"))
    os.makedirs(os.path.dirname(report), exist_ok=True)
    json.dump({"final_nrmse": 0.05}, open(report, "w"))
    print("evaluated")
`

describe('exp launch: scripted engines, failures, signals and background runs', function () {
  this.timeout(60_000)
  let ws: string
  // engines' process groups and background supervisors a failing test might leave behind: stopped in cleanup
  const orphans: number[] = []
  const supervisors: number[] = []

  before(async function () {
    requireTool(this, await pythonAvailable(), 'python3 is not installed')
    ws = await tempWorkspace()
    await fs.writeFile(path.join(ws, 'engine.py'), ENGINE)
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      [
        'engines:',
        '  train: ["{python}", "{workspace}/engine.py", train, "{config}", "{checkpoint_dir}"]',
        '  evaluate: ["{python}", "{workspace}/engine.py", evaluate, "{config}", "{checkpoint_dir}", "{report}"]',
        'gates:',
        '  final_nrmse: {max: 0.1}',
        '',
      ].join('\n'),
    )
    for (const mode of ['ok', 'fail', 'slow', 'gate'])
      await makeExperiment(ws, `2025-01-01-${mode}`, {'config.yaml': `mode: ${mode}\n`})
    for (const name of ['2025-01-02-sigint', '2025-01-02-sigkill', '2025-01-02-cancel', '2025-01-02-missing'])
      await makeExperiment(ws, name, {'config.yaml': 'mode: slow\n'})
  })
  after(async () => {
    const kill = (pid: number, signal: NodeJS.Signals) => {
      try {
        process.kill(pid, signal)
      } catch {
        // already gone
      }
    }
    for (const pid of supervisors) kill(pid, 'SIGTERM') // a supervisor stops its engine's group itself
    for (const pid of orphans) kill(-pid, 'SIGKILL')
    for (const pid of supervisors) await gone(pid)
    await removeDir(ws)
  })

  it('exp decides the gates when the report has none, and says so', async () => {
    const r = await expJson(['launch', 'ok'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.verdict.decided_by, 'exp')
    const report = JSON.parse(await fs.readFile(path.join(ws, r.json.report), 'utf8'))
    assert.equal(report.gates_passed, true)
    assert.equal(report.gates.decided_by, 'exp')
    assert.deepEqual(report.gates.checks[0], {limit: {max: 0.1}, metric: 'final_nrmse', passed: true, value: 0.05})
    const log = await fs.readFile(path.join(ws, r.json.run_dir, 'launch.log'), 'utf8')
    assert.match(
      log,
      /GATES: exp decided the gates of reports\/\S+\.json \(the report had no gates_passed\)\nDetails: final_nrmse 0\.05 <= 0\.1: pass\nResult: gates_passed: true/,
    )
    const text = await exp(['launch', 'ok'], {cwd: ws})
    assert.match(
      text.stdout,
      /exp decided it from exp\.yaml gates: final_nrmse 0\.05 <= 0\.1: pass → gates_passed true/,
    )
    const list = await expJson(['list'], {cwd: ws})
    assert.equal(list.json.experiments.find((e: any) => e.slug === 'ok').status, 'success')
  })

  it('a failing train skips evaluate and classifies the experiment failed, naming the stage and exit code', async () => {
    const r = await exp(['launch', 'fail'], {cwd: ws})
    assert.equal(r.code, 1)
    const [run] = await runsOf(path.join(ws, 'experiments', '2025-01-01-fail'))
    assert.equal(
      r.stderr.trim(),
      `Error: run ${run.run_id} failed: train exited with code 1 (last output: loss is NaN). Log: experiments/2025-01-01-fail/runs/${run.run_id}/train.log`,
    )
    assert.deepEqual(
      run.stages.map((s: any) => [s.name, s.state, s.exit_code ?? null, s.reason ?? null]),
      [
        ['train', 'failed', 1, null],
        ['evaluate', 'cancelled', null, 'train failed'],
      ],
    )
    assert.equal(run.state, 'failed')
    assert.match(
      await fs.readFile(path.join(ws, 'experiments', '2025-01-01-fail', run.stages[0].log), 'utf8'),
      /loss is NaN/,
    )
    const list = await expJson(['list'], {cwd: ws})
    const item = list.json.experiments.find((e: any) => e.slug === 'fail')
    assert.equal(item.status, 'failed')
    assert.equal(item.reason, `run ${run.run_id} failed: train exited with code 1`)
  })

  it('a missing engine executable is one clear error, and a failed run', async () => {
    const r = await exp(['launch', 'missing'], {cwd: ws, env: {EXP_PYTHON: 'exp-no-such-python'}})
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^Error: run \S+ failed: train cannot start exp-no-such-python: not found\./)
    const [run] = await runsOf(path.join(ws, 'experiments', '2025-01-02-missing'))
    assert.equal(run.stages[0].state, 'failed')
    assert.equal(run.stages[0].reason, 'cannot start exp-no-such-python: not found')
    const list = await expJson(['list'], {cwd: ws})
    assert.match(
      list.json.experiments.find((e: any) => e.slug === 'missing').reason,
      /failed: train cannot start exp-no-such-python: not found$/,
    )
  })

  it('an unknown placeholder in exp.yaml engines is refused, naming it', async () => {
    const bad = await tempDir()
    try {
      await writeTree(bad, {
        'exp.yaml':
          'engines:\n  train: [python3, train.py, --out, "{chekpoint_dir}"]\n  evaluate: [python3, eval.py]\n',
      })
      await makeExperiment(bad, '2025-01-01-x')
      const before = await treeSnapshot(bad)
      const r = await exp(['launch', 'x'], {cwd: bad})
      assert.equal(r.code, 1)
      assert.match(r.stderr, /^Error: invalid \S+exp\.yaml: "engines\.train\.3": unknown placeholder \{chekpoint_dir\}/)
      assert.deepEqual(await treeSnapshot(bad), before)
    } finally {
      await removeDir(bad)
    }
  })

  it("Ctrl-C stops the engine's process group, records the run interrupted and exits 130", async () => {
    const dir = path.join(ws, 'experiments', '2025-01-02-sigint')
    const child = execa(process.execPath, [EXP_BIN, 'launch', 'sigint'], {cwd: ws, reject: false})
    const running = await waitForRun(dir, (r) => r.stages[0].state === 'running' && r.stages[0].pid, 'train running')
    const engine = running.stages[0].pid
    assert.ok(isProcessAlive(engine))
    child.kill('SIGINT')
    const r = await child
    assert.equal(r.exitCode, 130, String(r.stderr))
    assert.match(String(r.stderr), /Interrupted: run \S+ of 2025-01-02-sigint on local stopped during train/)
    const [run] = await runsOf(dir)
    assert.equal(run.state, 'interrupted')
    assert.deepEqual(
      run.stages.map((s: any) => s.state),
      ['interrupted', 'interrupted'],
    )
    assert.equal(run.stages[0].reason, 'stopped by SIGINT')
    assert.ok(!isProcessAlive(engine), 'the engine outlived exp')
    const runs = await expJson(['runs', 'sigint'], {cwd: ws})
    assert.equal(runs.json.runs[0].reason, 'train interrupted (stopped by SIGINT)')
  })

  it('after SIGKILL of exp, runs and list show the run interrupted, never running', async () => {
    const dir = path.join(ws, 'experiments', '2025-01-02-sigkill')
    const child = execa(process.execPath, [EXP_BIN, 'launch', 'sigkill'], {cwd: ws, reject: false})
    const running = await waitForRun(dir, (r) => r.stages[0].state === 'running' && r.stages[0].pid, 'train running')
    orphans.push(running.stages[0].pid) // its engine survives in its own process group: killed in cleanup
    child.kill('SIGKILL')
    await child
    const runs = await expJson(['runs', 'sigkill'], {cwd: ws})
    assert.equal(runs.json.runs[0].state, 'interrupted')
    assert.match(
      runs.json.runs[0].reason,
      /^train interrupted \(exp process \(PID \d+\) is gone(; its engine \(process group \d+\) may still be running)?\)$/,
    )
    const list = await expJson(['list'], {cwd: ws})
    const item = list.json.experiments.find((e: any) => e.slug === 'sigkill')
    assert.notEqual(item.rule, 'live-run', item.reason)
    assert.doesNotMatch(item.reason, /running/)
    const [run] = await runsOf(dir)
    assert.equal(run.state, 'interrupted') // written back, so every later reader agrees
  })

  it('--detach returns at once; runs shows it live; a second launch is refused unless --force; logs --follow and watch see it through', async () => {
    const dir = path.join(ws, 'experiments', '2025-01-01-gate')
    // the engine waits for a file we create only after launch returned: so launch cannot have waited for it
    const r = await expJson(['launch', 'gate', '--detach'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.detached, true)
    const supervisor = r.json.record.supervisor_pid
    supervisors.push(supervisor)
    assert.ok(isProcessAlive(supervisor), 'the background supervisor is running after launch returned')
    const runs = await expJson(['runs', 'gate'], {cwd: ws})
    assert.ok(['queued', 'running'].includes(runs.json.runs[0].state), runs.json.runs[0].state)
    assert.equal(runs.json.runs[0].run_id, r.json.run_id)
    const live = (await expJson(['list'], {cwd: ws})).json.experiments.find((e: any) => e.slug === 'gate')
    assert.deepEqual([live.status, live.rule], ['active', 'live-run'])
    assert.match(live.reason, new RegExp(`^run ${r.json.run_id} is (queued|running) \\(local\\)$`))

    // from here on the engine waits, writing nothing, so the tree stands still
    const running = await waitForRun(dir, (run) => run.stages[0].state === 'running', 'train running')
    const trainLog = path.join(dir, running.stages[0].log)
    while (!(await fs.readFile(trainLog, 'utf8').catch(() => '')).includes('waiting for release')) await sleep(25)

    const again = await exp(['launch', 'gate'], {cwd: ws})
    assert.equal(again.code, 1)
    assert.match(
      again.stderr,
      new RegExp(`already has a live run: ${r.json.run_id} is (queued|running) on local\\. Try: .*--force`),
    )
    const before = await treeSnapshot(dir)
    const forced = await expJson(['launch', 'gate', '--force', '--dry-run'], {cwd: ws})
    assert.equal(forced.code, 0, forced.stderr)
    assert.equal(forced.json.forced_over, r.json.run_id)
    assert.deepEqual(await treeSnapshot(dir), before)

    const follow = exp(['logs', 'gate', '--follow'], {cwd: ws})
    const watch = execa(process.execPath, [EXP_BIN, 'watch', 'gate', '--interval', '0.1'], {cwd: ws, reject: false})
    let watchOut = ''
    watch.stdout!.on('data', (chunk) => {
      watchOut += String(chunk)
    })
    const deadline = Date.now() + 20_000
    while (!/\(local\): running — train running/.test(watchOut) && Date.now() < deadline) await sleep(25) // watching before the release
    await fs.writeFile(path.join(dir, 'release'), '')
    const [logs, watched] = await Promise.all([follow, watch])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /==> \S+\/train\.log <==\ntrain mode gate\nwaiting for release ✓\nreleased\n/)
    assert.match(logs.stdout, /==> \S+\/evaluate\.log <==\nevaluated$/) // (execa strips the final newline)
    assert.equal(watched.exitCode, 0, String(watched.stderr))
    assert.match(watchOut, /\] train: running → completed \(exit 0\)\n/)
    assert.match(watchOut, /\] run \S+ completed\n.*nothing to collect/)
    const done = await expJson(['runs', 'gate'], {cwd: ws})
    assert.equal(done.json.runs[0].state, 'completed')
    assert.ok(await gone(supervisor), 'the supervisor outlived its run')
    const list = await expJson(['list'], {cwd: ws})
    assert.equal(list.json.experiments.find((e: any) => e.slug === 'gate').status, 'success')
    const text = await exp(['logs', 'gate', '--stage', 'launch'], {cwd: ws})
    assert.match(text.stdout, /\] RUN: run \S+ finished/)
  })

  it('cancel stops a background run and records it cancelled; without a terminal it needs --yes', async () => {
    const dir = path.join(ws, 'experiments', '2025-01-02-cancel')
    const r = await expJson(['launch', 'cancel', '--detach'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    supervisors.push(r.json.record.supervisor_pid)
    const running = await waitForRun(dir, (run) => run.stages[0].state === 'running', 'train running')
    const refused = await exp(['cancel', 'cancel'], {cwd: ws})
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /no terminal to ask on\. Try: add --yes/)
    const dry = await exp(['cancel', 'cancel', '--dry-run'], {cwd: ws})
    assert.equal(dry.code, 0)
    assert.match(dry.stdout, new RegExp(`Would cancel run ${r.json.run_id} \\(local, running\\)`))
    assert.equal((await runsOf(dir))[0].state, 'running')
    const done = await expJson(['cancel', 'cancel', '--yes'], {cwd: ws})
    assert.equal(done.code, 0, done.stderr)
    assert.equal(done.json.runs[0].state, 'cancelled')
    const [run] = await runsOf(dir)
    assert.deepEqual(
      run.stages.map((s: any) => [s.state, s.reason]),
      [
        ['cancelled', 'cancelled by exp cancel'],
        ['cancelled', 'cancelled by exp cancel'],
      ],
    )
    assert.ok(await gone(running.stages[0].pid), 'engine still running')
    assert.ok(await gone(r.json.record.supervisor_pid), 'supervisor still running')
    const nothing = await exp(['cancel', 'cancel', '--yes'], {cwd: ws})
    assert.equal(nothing.code, 0)
    assert.match(nothing.stdout, /has no live run to cancel/)
  })

  it("runs lists every experiment's runs; collect on a local run has nothing to bring home", async () => {
    const all = await expJson(['runs'], {cwd: ws})
    assert.equal(all.code, 0, all.stderr)
    const states = new Set(all.json.runs.map((r: any) => `${r.experiment}:${r.state}`))
    for (const s of [
      '2025-01-01-fail:failed',
      '2025-01-02-sigint:interrupted',
      '2025-01-01-gate:completed',
      '2025-01-02-cancel:cancelled',
    ])
      assert.ok(states.has(s), s)
    // newest first: by creation time, then id (records/run.ts compareRuns); an id carries only the second, so two
    // runs of the same second are in creation order, not their random suffixes' order
    const seconds = all.json.runs.map((r: any) => r.run_id.slice(0, 15))
    assert.deepEqual(seconds, [...seconds].sort().reverse())
    const table = await exp(['runs'], {cwd: ws})
    assert.match(table.stdout, /^RUN +EXPERIMENT +BACKEND +STATE +STAGES +DURATION +REASON/)
    assert.match(table.stdout, /2025-01-01-fail +local +failed +train\(1\) evaluate:skipped/)
    const c = await exp(['collect', 'gate'], {cwd: ws})
    assert.equal(c.code, 0, c.stderr)
    assert.match(c.stdout, /ran locally .* nothing to collect/)
  })
})

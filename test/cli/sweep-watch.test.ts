import assert from 'node:assert/strict'
import {execa, type ResultPromise} from 'execa'
import {existsSync, promises as fs, readFileSync, watch as watchFs} from 'node:fs'
import path from 'node:path'

import {assertOneLineError, exp, EXP_BIN, expJson, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/**
 * A sweep of 4 variants (2 trainings fail) run by real local launches, one per variant, in the background; each
 * engine waits for a gate file so the test decides when each phase moves on. Observers: exp watch (killed with
 * SIGKILL midway and restarted), a second exp watch throughout, and exp runs (which observes too).
 */
const ENGINE = `import json, os, re, sys, time
stage, config = sys.argv[1], sys.argv[2]
text = open(config).read()
mode = re.search(r"mode:\\s*(\\w+)", text).group(1)
gate = os.environ["GATE_DIR"]
while not os.path.exists(os.path.join(gate, stage)):
    time.sleep(0.02)
if stage == "train":
    out = sys.argv[3]
    print("training", mode, flush=True)
    if mode == "fail":
        print("loss is NaN", file=sys.stderr)
        sys.exit(1)
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "model.txt"), "w").write("ok")
else:
    checkpoint, report = sys.argv[3], sys.argv[4]
    assert os.path.exists(os.path.join(checkpoint, "model.txt"))
    lr = float(re.search(r"lr:\\s*([0-9.e-]+)", text).group(1))
    os.makedirs(os.path.dirname(report), exist_ok=True)
    json.dump({"final_nrmse": lr}, open(report, "w"))
`
const VARIANTS = ['modeok_lr0.01', 'modeok_lr0.02', 'modefail_lr0.01', 'modefail_lr0.02']
// a summary a person wrote: CRLF line ends, bytes that are not UTF-8, no trailing newline
const PERSON = Buffer.concat([
  Buffer.from('# Experiment: sw\r\n\r\nWritten by hand: caf'),
  Buffer.from([0xe9, 0xff]),
  Buffer.from('\r\n| a | b |\r\n|---|---|'),
])

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** launch.log as entries (the blank-line separated blocks). */
const entries = (log: string) => log.split('\n\n').filter((e) => e.trim() !== '')
/** Entries sorted, DISCOVER/VERIFY without their stamp (they are stamped when first observed). */
const normalised = (list: string[]) =>
  list.map((e) => (/^\[[^\]]+\] (DISCOVER|VERIFY):/.test(e) ? e.slice(e.indexOf(']')) : e)).sort()

describe('exp watch on a sweep: orchestration log, status table, summary', function () {
  this.timeout(120_000)
  let ws: string
  let gates: string
  let sweep: string
  const children: ResultPromise[] = []
  const run = (args: string[]) => exp(args, {cwd: ws, env: {GATE_DIR: gates}})
  const watch = (...extra: string[]) => {
    const child = execa(process.execPath, [EXP_BIN, 'watch', 'sw', '--interval', '0.1', ...extra], {
      cwd: ws,
      env: {EXP_CACHE_DIR: path.join(ws, 'cache'), EXP_ROOT: undefined, GATE_DIR: gates},
      reject: false,
    })
    children.push(child)
    return child
  }
  const output = (child: ResultPromise) => {
    let text = ''
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()))
    return () => text
  }
  const log = () => fs.readFile(path.join(sweep, 'launch.log'), 'utf8').catch(() => '')

  before(async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    gates = path.join(ws, 'gates')
    await fs.mkdir(gates)
    await fs.writeFile(path.join(ws, 'engine.py'), ENGINE)
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      [
        'engines:',
        '  train: ["{python}", "{workspace}/engine.py", train, "{config}", "{checkpoint_dir}"]',
        '  evaluate: ["{python}", "{workspace}/engine.py", evaluate, "{config}", "{checkpoint_dir}", "{report}"]',
        '',
      ].join('\n'),
    )
    const made = await run([
      'new',
      'sw',
      '--add',
      'mode=ok',
      '--add',
      'lr=0.01',
      '--grid',
      'mode=ok,fail',
      '--grid',
      'lr=0.01,0.02',
      '--date',
      '2025-10-22',
    ])
    assert.equal(made.code, 0, made.stderr)
    sweep = path.join(ws, 'experiments', '2025-10-22-sw')
    await fs.writeFile(path.join(sweep, 'experiment_summary.md'), PERSON)
  })
  after(async () => {
    await fs.writeFile(path.join(gates, 'train'), '').catch(() => {})
    await fs.writeFile(path.join(gates, 'evaluate'), '').catch(() => {})
    for (const c of children) c.kill('SIGKILL')
    await removeDir(ws)
  })

  it('no variant launched: watch says so in one line', async () => {
    assertOneLineError(await run(['watch', 'sw']), /no variant of 2025-10-22-sw has been launched yet/)
  })

  it('a watch killed and restarted midway, a second watch and exp runs at once: every transition logged once, none lost; the table kept', async () => {
    for (const v of VARIANTS) assert.equal((await run(['launch', `sw/${v}`, '--detach'])).code, 0)
    const killed = watch()
    const steady = watch()
    const steadyOut = output(steady)
    const killedOut = output(killed)
    await until('the watch to start', async () => /sweep 2025-10-22-sw: 4 variants/.test(killedOut()))
    await until('4 trainings running', async () => (await log()).match(/TRAIN_STARTED/g)?.length === 4)
    await fs.writeFile(path.join(gates, 'train'), '')
    // killed while it observes the trainings end (wherever it is: between refreshes, mid-append or holding the lock)
    await until('a training to end', async () => /TRAIN_(COMPLETED|FAILED)/.test(await log()))
    killed.kill('SIGKILL')
    await killed
    for (let i = 0; i < 3; i++) assert.equal((await run(['runs', 'sw'])).code, 0)
    await until('the training phase to end', async () =>
      /PHASE_COMPLETE: Training phase: 4 jobs completed - 2 COMPLETED, 2 FAILED/.test(await log()),
    )
    const restarted = watch()
    const restartedOut = output(restarted)
    await until('the restarted watch to start', async () => /sweep 2025-10-22-sw: 4 variants/.test(restartedOut()))
    await fs.writeFile(path.join(gates, 'evaluate'), '')
    const [r1, r2] = await Promise.all([steady, restarted])
    assert.equal(r1.exitCode, 1, String(r1.stderr)) // 2 variants failed
    assert.equal(r2.exitCode, 1, String(r2.stderr))

    const logged = entries(await log())
    const heads = logged.map((e) => e.split('\n')[0].replace(/^\[[^\]]+\] /, ''))
    assert.equal(new Set(heads).size, heads.length, `an entry twice:\n${heads.join('\n')}`)
    const expected = [
      'DISCOVER: sweep 2025-10-22-sw: 4 variants in sweep.yaml',
      'VERIFY: scaffolding of 4 variants (config.yaml, setup)',
      'PHASE_START: Training phase started',
      'PHASE_COMPLETE: Training phase: 4 jobs completed - 2 COMPLETED, 2 FAILED',
      'PHASE_START: Evaluation phase started',
      'PHASE_COMPLETE: Evaluation phase: 2 jobs completed - 2 COMPLETED, 0 FAILED',
      'SWEEP_COMPLETE: 2025-10-22-sw: 2/4 variants completed',
    ]
    for (const v of VARIANTS) {
      const ok = v.startsWith('modeok')
      expected.push(
        `SUBMIT: ${v}: run`,
        `TRAIN_STARTED: ${v}: training started`,
        `TRAIN_${ok ? 'COMPLETED' : 'FAILED'}: ${v}: training ${ok ? 'completed' : 'failed'}`,
      )
      expected.push(
        ...(ok
          ? [`EVAL_STARTED: ${v}: evaluation started`, `EVAL_COMPLETED: ${v}: evaluation completed`]
          : [`EVAL_SKIPPED: ${v}: evaluation not run`]),
      )
    }
    for (const e of expected)
      assert.equal(heads.filter((h) => h.startsWith(e)).length, 1, `${e} not logged exactly once:\n${heads.join('\n')}`)
    assert.equal(heads.length, expected.length, heads.join('\n'))
    assert.match(
      await log(),
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] SWEEP_COMPLETE: .*\nDetails: training 2\/4 completed; evaluation 2\/4 completed\nDetails: total \d+s\nResult: PARTIAL\n/m,
    )
    const state = JSON.parse(await fs.readFile(path.join(sweep, '.launch-log.json'), 'utf8'))
    assert.equal(state.logged.length, expected.length)
    assert.equal(state.pending, undefined)

    // the same records observed from scratch by one observer give the same entries, timestamps included
    const copy = await tempWorkspace()
    try {
      await fs.cp(sweep, path.join(copy, 'experiments', '2025-10-22-sw'), {recursive: true})
      await fs.rm(path.join(copy, 'experiments', '2025-10-22-sw', 'launch.log'))
      await fs.rm(path.join(copy, 'experiments', '2025-10-22-sw', '.launch-log.json'))
      assert.equal((await exp(['runs', 'sw'], {cwd: copy})).code, 0)
      const fresh = entries(await fs.readFile(path.join(copy, 'experiments', '2025-10-22-sw', 'launch.log'), 'utf8'))
      // discovery is stamped when first observed: before the launches here, at the first submission in the copy
      assert.deepEqual(normalised(fresh), normalised(logged))
    } finally {
      await removeDir(copy)
    }

    // the status table: appended after the person's bytes, which are unchanged
    const summary = await fs.readFile(path.join(sweep, 'experiment_summary.md'))
    assert.deepEqual(summary.subarray(0, PERSON.length), PERSON)
    const table = summary.subarray(PERSON.length).toString('utf8')
    assert.match(
      table,
      /^\n\n<!-- exp:status -->\n\| Variant \| Train job \| Train state \| Evaluation job \| Evaluation state \| final_nrmse \|\n/,
    )
    assert.match(table, /\| modeok_lr0\.01 \| \S+ \| completed \| \S+ \| completed \| 0\.01 \|/)
    assert.match(table, /\| modefail_lr0\.02 \| \S+ \| failed \| \S+ \| skipped \| — \|/)
    assert.match(table, /<!-- \/exp:status -->\n$/)

    // the summary the watch ends with
    const out = restartedOut()
    assert.match(steadyOut(), /^Best: modeok_lr0\.01 \(final_nrmse 0\.01\)$/m)
    assert.match(out, /^modeok_lr0\.01 +completed +\d+s +\d+s +0\.01 /m)
    assert.match(out, /^modefail_lr0\.01 +failed +\d+s +- +- +failed: run \S+ failed: train exited with code 1/m)
    assert.match(out, /^Training: +4 jobs - 2 COMPLETED, 2 FAILED$/m)
    assert.match(out, /^Evaluation: 2 jobs - 2 COMPLETED, 0 FAILED, 2 SKIPPED \(training did not complete\)$/m)
    assert.match(out, /^Total time: \d+s$/m)
    assert.match(out, /^Best: modeok_lr0\.01 \(final_nrmse 0\.01\)$/m)
    assert.match(
      out,
      /^Logs: .*experiments\/2025-10-22-sw\/modeok_lr0\.01\/runs\/\S+\); orchestration log experiments\/2025-10-22-sw\/launch\.log$/m,
    )
    assert.match(out, /^Status table: experiments\/2025-10-22-sw\/experiment_summary\.md$/m)
    assert.match(out, /^Next: exp compare 2025-10-22-sw +exp promote 2025-10-22-sw\/modeok_lr0\.01$/m)
    assert.match(out, /EVAL_COMPLETED: modeok_lr0\.02: evaluation completed/)
  })

  it('observers SIGKILLed at any point of a from-scratch observation: the next one leaves every entry once', async () => {
    const reference = normalised(entries(await log()))
    const files = [path.join(sweep, 'launch.log'), path.join(sweep, '.launch-log.json')]
    const observer = () =>
      execa(process.execPath, [EXP_BIN, 'runs', 'sw'], {
        cwd: ws,
        env: {EXP_CACHE_DIR: path.join(ws, 'cache'), EXP_ROOT: undefined},
        reject: false,
      })
    const started = Date.now()
    await observer()
    const full = Date.now() - started
    let pending = 0
    let holding = 0
    for (let i = 0; i < 12; i++) {
      for (const f of files) await fs.rm(f, {force: true})
      const child = observer()
      // even rounds: killed the moment the write-ahead record appears (mid-append); odd: at a point spread over the
      // second half of an observation (reading, deriving, holding the lock)
      const watcher = watchFs(sweep, () => {
        if (!existsSync(files[1])) return
        if (i % 2 === 0 && readFileSync(files[1], 'utf8').includes('"pending"')) child.kill('SIGKILL')
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), i % 2 === 0 ? full * 3 : full * (0.5 + (0.5 * i) / 12))
      await child
      clearTimeout(timer)
      watcher.close()
      const state = await fs.readFile(files[1], 'utf8').catch(() => '{}')
      if (JSON.parse(state).pending) pending++
      if (existsSync(path.join(ws, '.exp', 'observe', '2025-10-22-sw.lock'))) holding++
      assert.equal((await run(['runs', 'sw'])).code, 0)
      assert.deepEqual(normalised(entries(await log())), reference, `after kill ${i}`)
    }
    // the kills aimed at the append must land there on most machines (timing decides: a few may miss)
    assert.ok(
      pending >= 2,
      `only ${pending} of 6 aimed kills landed mid-append (${holding} of 12 left the lock to a dead holder)`,
    )
  })

  it('watch --json returns the summary; runs lists every variant; logs reads one variant', async () => {
    const r = await expJson(['watch', 'sw'], {cwd: ws})
    assert.equal(r.code, 1)
    assert.equal(r.json.sweep, true)
    assert.deepEqual(
      r.json.variants.map((v: any) => [v.variant, v.state, v.metric]),
      [
        ['modeok_lr0.01', 'completed', 0.01],
        ['modeok_lr0.02', 'completed', 0.02],
        ['modefail_lr0.01', 'failed', null],
        ['modefail_lr0.02', 'failed', null],
      ],
    )
    assert.deepEqual(r.json.phases, {
      evaluate: {completed: 2, failed: 0, other: 0, skipped: 2},
      train: {completed: 2, failed: 2, other: 0},
    })
    assert.deepEqual(r.json.best, {metric: 0.01, variant: 'modeok_lr0.01'})
    const runs = await expJson(['runs', 'sw'], {cwd: ws})
    assert.deepEqual(runs.json.runs.map((x: any) => x.variant).sort(), [...VARIANTS].sort())
    assert.ok(runs.json.runs.every((x: any) => x.experiment === '2025-10-22-sw'))
    const one = await expJson(['runs', 'sw/modefail_lr0.01'], {cwd: ws})
    assert.deepEqual(
      one.json.runs.map((x: any) => [x.variant, x.state]),
      [['modefail_lr0.01', 'failed']],
    )
    const text = await run(['runs', 'sw'])
    assert.match(text.stdout, /^RUN +EXPERIMENT +VARIANT +BACKEND/m)
    const logs = await run(['logs', 'sw/modefail_lr0.01', '--stage', 'train'])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /loss is NaN/)
    assertOneLineError(
      await run(['logs', 'sw']),
      /2025-10-22-sw is a sweep: its runs are its variants' \(modeok_lr0\.01, .*\); name one/,
    )
  })

  it('Ctrl-C ends only the watching; cancel stops every live variant after asking, or one with EXP/VARIANT', async () => {
    await fs.rm(path.join(gates, 'train'))
    for (const v of VARIANTS.slice(0, 3)) assert.equal((await run(['launch', `sw/${v}`, '--detach'])).code, 0)
    const w = watch()
    const out = output(w)
    await until('the watch to start', async () => /sweep 2025-10-22-sw/.test(out()))
    w.kill('SIGINT')
    const stopped = await w
    assert.equal(stopped.exitCode, 130)
    assert.match(
      String(stopped.stderr),
      /Stopped watching; 3 variant\(s\) still live: their jobs go on \(exp watch 2025-10-22-sw resumes\)\./,
    )
    const live = await expJson(['runs', 'sw'], {cwd: ws})
    assert.equal(live.json.runs.filter((x: any) => x.state === 'running' || x.state === 'queued').length, 3)

    assertOneLineError(await run(['cancel', 'sw']), /needs confirmation and there is no terminal to ask on/)
    const dry = await run(['cancel', 'sw', '--dry-run'])
    assert.equal(
      dry.stdout.match(/Would cancel run \S+ of 2025-10-22-sw\/mode\S+ \(local, (running|queued)\)/g)?.length,
      3,
      dry.stdout,
    )
    const one = await run(['cancel', 'sw/modeok_lr0.01', '--yes'])
    assert.equal(one.code, 0, one.stderr)
    assert.match(one.stdout, /^Run \S+ \(local\): cancelled\.$/m)
    const rest = await run(['cancel', 'sw', '--yes'])
    assert.equal(rest.code, 0, rest.stderr)
    assert.equal(rest.stdout.match(/: cancelled\./g)?.length, 2, rest.stdout)
    const after = await expJson(['runs', 'sw'], {cwd: ws})
    assert.equal(after.json.runs.filter((x: any) => x.state === 'running' || x.state === 'queued').length, 0)
    assert.match(await log(), /TRAIN_CANCELLED: modeok_lr0\.01: training cancelled/)
  })
})

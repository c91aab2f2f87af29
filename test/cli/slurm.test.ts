import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson} from '../support/exp.js'
import {
  closeClusterSession,
  type Cluster,
  jobState,
  openClusterSession,
  type Shims,
  slurm,
  waitFor,
} from '../support/slurm.js'

/**
 * `exp launch --slurm` on a REAL single-node SLURM cluster (munged + slurmctld + slurmd), started once for the file.
 * Without the SLURM packages (or root) these tests are skipped with the reason; CI (EXP_TEST_REQUIRE_ALL=1)
 * installs them, so there a skip is a failure.
 */
describe('exp launch --slurm (a real SLURM cluster)', function () {
  let cluster: Cluster | undefined
  let shims: Shims
  let scratch: string
  /** the embedded engine, in a workspace whose path needs quoting everywhere (space, quote, #, %) */
  let ws: string
  /** engines that sleep, to have jobs running long enough to cancel */
  let slow: string
  let env: Record<string, string>

  before(async function () {
    this.timeout(120_000)
    ;({cluster, env, scratch, shims} = await openClusterSession(this, 'exp-slurm-'))

    ws = path.join(scratch, "ws it's #1 100%")
    const init = await exp(['init', ws], {cwd: scratch})
    assert.equal(init.code, 0, init.stderr)
    slow = path.join(scratch, 'slow')
    assert.equal((await exp(['init', slow], {cwd: scratch})).code, 0)
    await fs.appendFile(
      path.join(slow, 'exp.yaml'),
      'engines:\n  train: [sleep, "300"]\n  evaluate: [sleep, "1"]\nbackends:\n  slurm:\n    partition: debug\n    time: "00:10:00"\n    sbatch_args: ["--comment=from exp.yaml"]\n',
    )
  })

  after(async function () {
    this.timeout(60_000)
    await closeClusterSession(cluster && {cluster, env, scratch, shims})
  })

  const run = (args: string[], cwd: string, timeout?: number) => exp(args, {cwd, env, timeout})
  const runJson = (args: string[], cwd: string) => expJson(args, {cwd, env})
  const newExperiment = async (cwd: string, name: string, set: string[] = []) => {
    const r = await run(['new', name, '--date', '2025-01-22', ...set.flatMap((s) => ['--set', s])], cwd)
    assert.equal(r.code, 0, r.stderr)
    return path.join(cwd, 'experiments', `2025-01-22-${name}`)
  }
  const launch = async (cwd: string, name: string, extra: string[] = []) => {
    const r = await runJson(['launch', name, '--slurm', ...extra], cwd)
    assert.equal(r.code, 0, r.stderr)
    return r.json as {run_id: string; run_dir: string; record: any; commands: string[][]; files: string[]}
  }
  const record = async (expDir: string, runId: string) =>
    JSON.parse(await fs.readFile(path.join(expDir, 'runs', runId, 'run.json'), 'utf8'))
  const started = (expDir: string, runId: string, stage: string) =>
    waitFor(`${stage} of ${runId} to start`, async () =>
      fs.readFile(path.join(expDir, 'runs', runId, `${stage}.started`), 'utf8').catch(() => undefined),
    )

  it('trains and evaluates the embedded engine through SLURM to a success that exp list shows', async function () {
    this.timeout(90_000)
    const dir = await newExperiment(ws, 'good')
    const launched = await launch(ws, 'good')
    const [train, evaluate] = launched.record.stages
    assert.match(train.job_id, /^\d+$/)
    assert.match(evaluate.job_id, /^\d+$/)
    assert.deepEqual(launched.record.backend_data.jobs.train.id, train.job_id)
    assert.equal(launched.record.supervisor_pid, undefined, 'SLURM holds the run now, not the exp process')

    const watched = await run(['watch', 'good', '--interval', '1'], ws)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    assert.match(watched.stdout, new RegExp(`run ${launched.run_id} completed`))

    const list = await runJson(['list'], ws)
    const good = list.json.experiments.find((e: any) => e.name === '2025-01-22-good')
    assert.equal(good.status, 'success', good.reason)
    assert.match(good.reason, new RegExp(`reports/${launched.run_id}\\.json: gates_passed is true`))

    // the job's own records, and SLURM's word on it
    const rec = await record(dir, launched.run_id)
    assert.deepEqual(
      rec.stages.map((s: any) => [s.state, s.exit_code]),
      [
        ['completed', 0],
        ['completed', 0],
      ],
    )
    const trainExit = await fs.readFile(path.join(dir, 'runs', launched.run_id, 'train.exit'), 'utf8')
    assert.match(trainExit, new RegExp(`^exit_code=0\\n.*\\njob_id=${train.job_id}\\n`, 's'))
    assert.match(await jobState(cluster!, evaluate.job_id), /^COMPLETED\|/)
    assert.match(
      await fs.readFile(path.join(dir, 'runs', launched.run_id, 'evaluate.log'), 'utf8'),
      /final_nrmse .* PASS/,
    )
    const log = await fs.readFile(path.join(dir, 'runs', launched.run_id, 'launch.log'), 'utf8')
    assert.match(
      log,
      new RegExp(
        `EVALUATE: submitted sbatch --parsable --dependency=afterok:${train.job_id} --kill-on-invalid-dep=yes `,
      ),
    )
    assert.match(log, /RUN: run \S+ finished\n.*\nResult: completed/)
  })

  it('re-submitting the generated scripts by hand with sbatch works', async function () {
    this.timeout(60_000)
    const dir = path.join(ws, 'experiments', '2025-01-22-good')
    const [runId] = await fs.readdir(path.join(dir, 'runs'))
    const reportFile = path.join(dir, 'reports', `${runId}.json`)
    await fs.rm(reportFile)
    const train = await slurm(cluster!, 'sbatch', ['--parsable', `runs/${runId}/train.slurm`], dir)
    assert.equal(train.code, 0, train.stderr)
    const evaluate = await slurm(
      cluster!,
      'sbatch',
      ['--parsable', `--dependency=afterok:${train.stdout.trim()}`, `runs/${runId}/evaluate.slurm`],
      dir,
    )
    assert.equal(evaluate.code, 0, evaluate.stderr)
    const evalId = evaluate.stdout.trim()
    const final = await waitFor('the hand-submitted evaluate job to end', async () => {
      const state = await jobState(cluster!, evalId)
      return /^(COMPLETED|FAILED|CANCELLED|TIMEOUT)/.test(state) && state
    })
    assert.match(final, /^COMPLETED\|/)
    // the job ran in the experiment directory, wrote the report again and recorded itself
    assert.equal(JSON.parse(await fs.readFile(reportFile, 'utf8')).gates_passed, true)
    assert.match(
      await fs.readFile(path.join(dir, 'runs', runId, 'evaluate.exit'), 'utf8'),
      new RegExp(`^exit_code=0\\n.*\\njob_id=${evalId}\\n`, 's'),
    )
    // exp's record of the original run is untouched by it
    assert.equal((await record(dir, runId)).state, 'completed')
  })

  it("--stage evaluate evaluates the last completed train's checkpoint as one SLURM job, without a dependency", async function () {
    this.timeout(60_000)
    const dir = path.join(ws, 'experiments', '2025-01-22-good')
    await shims.reset()
    const launched = await launch(ws, 'good', ['--stage', 'evaluate'])
    assert.deepEqual(
      launched.record.stages.map((s: any) => s.name),
      ['evaluate'],
    )
    const sbatch = (await shims.calls()).filter((c) => c.startsWith('sbatch'))
    assert.equal(sbatch.length, 1)
    assert.doesNotMatch(sbatch[0], /--dependency/)
    const watched = await run(['watch', 'good', '--interval', '1'], ws)
    assert.equal(watched.code, 0, watched.stdout + watched.stderr)
    assert.equal((await record(dir, launched.run_id)).state, 'completed')
    assert.equal(
      JSON.parse(await fs.readFile(path.join(dir, 'reports', `${launched.run_id}.json`), 'utf8')).gates_passed,
      true,
    )
  })

  it('a failing train: SLURM cancels the evaluate job, and the experiment is classified failed', async function () {
    this.timeout(60_000)
    const dir = await newExperiment(ws, 'broken', ['training.epochs=2.5'])
    const launched = await launch(ws, 'broken')
    const evalId = launched.record.stages[1].job_id
    const watched = await run(['watch', 'broken', '--interval', '1'], ws)
    assert.equal(watched.code, 1, watched.stdout + watched.stderr)

    const rec = await record(dir, launched.run_id)
    assert.equal(rec.state, 'failed')
    assert.deepEqual([rec.stages[0].state, rec.stages[0].exit_code], ['failed', 2])
    assert.equal(rec.stages[1].state, 'cancelled')
    // SLURM itself cancelled it (it never ran): afterok could not be met
    await waitFor('SLURM to cancel the evaluate job', async () =>
      /^CANCELLED\|DependencyNeverSatisfied/.test(await jobState(cluster!, evalId)),
    )
    await assert.rejects(fs.stat(path.join(dir, 'runs', launched.run_id, 'evaluate.started')))

    const list = await runJson(['list'], ws)
    const broken = list.json.experiments.find((e: any) => e.name === '2025-01-22-broken')
    assert.equal(broken.status, 'failed')
    assert.match(broken.reason, /train exited with code 2/)
  })

  it('exp cancel stops a running job and its waiting evaluate, and records cancelled', async function () {
    this.timeout(60_000)
    const dir = await newExperiment(slow, 'stopme')
    const launched = await launch(slow, 'stopme')
    const [trainId, evalId] = launched.record.stages.map((s: any) => s.job_id)
    await started(dir, launched.run_id, 'train')
    // exp.yaml backends.slurm reached the job
    const info = (await slurm(cluster!, 'scontrol', ['-o', 'show', 'job', trainId])).stdout
    assert.match(info, /TimeLimit=00:10:00 /)
    assert.match(info, /Comment=from exp\.yaml /)

    const r = await runJson(['cancel', 'stopme', '--yes'], slow)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.runs[0].state, 'cancelled')
    const rec = await record(dir, launched.run_id)
    assert.deepEqual(
      rec.stages.map((s: any) => s.state),
      ['cancelled', 'cancelled'],
    )
    assert.match(rec.reason, /exp cancel/)
    await waitFor(
      'SLURM to cancel both jobs',
      async () =>
        /^CANCELLED/.test(await jobState(cluster!, trainId)) && /^CANCELLED/.test(await jobState(cluster!, evalId)),
    )
    // the job recorded how it ended: it caught the SIGTERM scancel sent
    const end = await waitFor('the train end record', async () =>
      fs.readFile(path.join(dir, 'runs', launched.run_id, 'train.exit'), 'utf8').catch(() => undefined),
    )
    assert.match(end, /signal=TERM/)
  })

  it("a job killed behind exp's back (scancel by hand) shows as cancelled", async function () {
    this.timeout(60_000)
    const dir = await newExperiment(slow, 'killed')
    const launched = await launch(slow, 'killed')
    const trainId = launched.record.stages[0].job_id
    await started(dir, launched.run_id, 'train')
    assert.equal((await slurm(cluster!, 'scancel', [trainId])).code, 0)
    await waitFor('SLURM to record the cancel', async () => /^CANCELLED/.test(await jobState(cluster!, trainId)))

    const runs = await runJson(['runs', 'killed'], slow)
    assert.equal(runs.code, 0, runs.stderr)
    assert.equal(runs.json.runs[0].state, 'cancelled')
    const rec = await record(dir, launched.run_id)
    assert.equal(rec.stages[0].state, 'cancelled')
    assert.match(rec.stages[0].reason, new RegExp(`SLURM job ${trainId} CANCELLED`))
    assert.equal(rec.stages[1].state, 'cancelled')
  })

  it('exp runs and exp list over several live SLURM runs make exactly one squeue call each', async function () {
    this.timeout(60_000)
    const names = ['many-a', 'many-b', 'many-c']
    const ids: string[] = []
    for (const name of names) {
      await newExperiment(slow, name)
      ids.push(...(await launch(slow, name)).record.stages.map((s: any) => s.job_id))
    }
    await shims.reset()
    const runs = await runJson(['runs'], slow)
    assert.equal(runs.code, 0, runs.stderr)
    const live = runs.json.runs.filter((r: any) => names.some((n) => r.experiment.endsWith(n)))
    assert.equal(live.length, 3)
    for (const r of live) assert.ok(['queued', 'running'].includes(r.state), `${r.experiment}: ${r.state}`)
    const calls = await shims.calls()
    assert.equal(calls.length, 1, calls.join('\n'))
    assert.match(calls[0], /^squeue -h -t all -j (\d+,){5}\d+ -o %i\|%T\|%r$/)
    assert.deepEqual(calls[0].split(' ')[5].split(',').sort(), [...ids].sort())

    // a live SLURM run: launching again is refused (without --force), before anything is submitted
    await shims.reset()
    const again = await run(['launch', 'many-a', '--slurm'], slow)
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already has a live run/)
    assert.deepEqual(
      (await shims.calls()).filter((c) => c.startsWith('sbatch')),
      [],
    )

    await shims.reset()
    const list = await runJson(['list'], slow)
    assert.equal(list.code, 0, list.stderr)
    for (const name of names)
      assert.equal(list.json.experiments.find((e: any) => e.name.endsWith(name)).status, 'active', name)
    assert.equal((await shims.calls()).filter((c) => c.startsWith('squeue')).length, 1)
    for (const name of names) assert.equal((await run(['cancel', name, '--yes'], slow)).code, 0)
  })

  it("a job whose script was killed outright (no end record): SLURM's final state, the exit code from scontrol", async function () {
    this.timeout(60_000)
    const vanish = path.join(scratch, 'vanish')
    assert.equal((await exp(['init', vanish], {cwd: scratch})).code, 0)
    // the engine SIGKILLs the batch script itself, so the job cannot write its end record
    await fs.appendFile(
      path.join(vanish, 'exp.yaml'),
      'engines:\n  train: [bash, -c, "kill -9 $PPID"]\n  evaluate: ["true"]\n',
    )
    const dir = await newExperiment(vanish, 'gone')
    const launched = await launch(vanish, 'gone')
    const trainId = launched.record.stages[0].job_id
    await waitFor('the train job to end', async () => /^FAILED/.test(await jobState(cluster!, trainId)))
    await shims.reset()
    const runs = await runJson(['runs', 'gone'], vanish)
    assert.equal(runs.code, 0, runs.stderr)
    const rec = await record(dir, launched.run_id)
    assert.equal(rec.state, 'failed')
    assert.equal(rec.stages[0].state, 'failed')
    assert.equal(rec.stages[0].signal, 'signal 9')
    assert.match(rec.stages[0].reason, new RegExp(`SLURM job ${trainId} FAILED .*; the job wrote no end record`))
    assert.deepEqual(
      (await shims.calls()).map((c) => c.split(' ').slice(0, 2).join(' ')),
      ['squeue -h', 'scontrol -o'],
    )
  })

  it('a job SLURM no longer knows: interrupted, unless its own end record says how it ended', async function () {
    this.timeout(30_000)
    // run records as a crashed cluster (or MinJobAge) leaves them: job ids slurmctld has never heard of
    const stageOf = (name: string, id: string) => ({
      command: ['true'],
      cwd: '.',
      job_id: id,
      log: `runs/r/${name}.log`,
      name,
      state: 'running',
    })
    const plant = async (name: string, runId: string, ids: [string, string]) => {
      const dir = await newExperiment(ws, name)
      const rec = {
        backend: 'slurm',
        created_at: '2025-01-22T10:00:00Z',
        experiment: path.basename(dir),
        run_id: runId,
        schema: 1,
        stages: [stageOf('train', ids[0]), {...stageOf('evaluate', ids[1]), state: 'queued'}],
        state: 'running',
        updated_at: '2025-01-22T10:00:00Z',
      }
      await fs.mkdir(path.join(dir, 'runs', runId), {recursive: true})
      await fs.writeFile(path.join(dir, 'runs', runId, 'run.json'), JSON.stringify(rec))
      return path.join(dir, 'runs', runId)
    }
    await plant('lost', '20250122-100000-aaaa', ['900001', '900002'])
    const ended = await plant('ended', '20250122-100000-bbbb', ['900003', '900004'])
    await fs.writeFile(
      path.join(ended, 'train.exit'),
      'exit_code=0\nended_at=2025-01-22T10:05:00Z\njob_id=900003\nsignal=\n',
    )
    await fs.writeFile(
      path.join(ended, 'evaluate.exit'),
      'exit_code=1\nended_at=2025-01-22T10:06:00Z\njob_id=900004\nsignal=\n',
    )

    await shims.reset()
    const runs = await runJson(['runs'], ws)
    assert.equal(runs.code, 0, runs.stderr)
    const byExp = Object.fromEntries(runs.json.runs.map((r: any) => [r.experiment, r]))
    assert.equal(byExp['2025-01-22-lost'].state, 'interrupted')
    assert.match(byExp['2025-01-22-lost'].reason, /SLURM no longer knows job 900001 and it wrote no end record/)
    assert.equal(byExp['2025-01-22-ended'].state, 'failed')
    assert.deepEqual(
      byExp['2025-01-22-ended'].stages.map((s: any) => [s.state, s.exit_code]),
      [
        ['completed', 0],
        ['failed', 1],
      ],
    )
    // one squeue for all four ids; sacct tried once for the two without records (no accounting here), nothing else
    const calls = await shims.calls()
    assert.deepEqual(
      calls.map((c) => c.split(' ')[0]),
      ['squeue', 'sacct'],
      calls.join('\n'),
    )
  })

  it("an sbatch failure (an invalid partition) is one line with sbatch's message, the run recorded failed, exit 1", async function () {
    this.timeout(30_000)
    const dir = await newExperiment(ws, 'nopart')
    const r = await run(['launch', 'nopart', '--slurm', '--partition', 'no-such-partition'], ws)
    assert.equal(r.code, 1)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(
      lines[0],
      /^Error: sbatch could not submit the train job: invalid partition specified: no-such-partition/,
    )
    const [runId] = await fs.readdir(path.join(dir, 'runs'))
    const rec = await record(dir, runId)
    assert.equal(rec.state, 'failed')
    assert.match(rec.stages[0].reason, /sbatch failed: invalid partition/)
    assert.equal(rec.stages[0].job_id, undefined)
  })

  it('--dry-run writes the scripts and shows the sbatch commands, and submits nothing', async function () {
    this.timeout(30_000)
    const dir = await newExperiment(ws, 'dry')
    await shims.reset()
    const r = await runJson(
      ['launch', 'dry', '--slurm', '--dry-run', '--time', '00:05:00', '--sbatch-arg=--qos=normal'],
      ws,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await shims.calls(), [], 'no SLURM command ran')
    const [runId] = await fs.readdir(path.join(dir, 'runs'))
    const runDir = path.join(dir, 'runs', runId)
    assert.deepEqual(
      (await fs.readdir(runDir)).sort(),
      ['evaluate.slurm', 'train.slurm'],
      'scripts only: no run.json, nothing live',
    )
    assert.deepEqual(r.json.commands[0], ['sbatch', '--parsable', path.join(runDir, 'train.slurm')])
    assert.deepEqual(r.json.commands[1].slice(0, 4), [
      'sbatch',
      '--parsable',
      '--dependency=afterok:<train job id>',
      '--kill-on-invalid-dep=yes',
    ])
    const script = await fs.readFile(path.join(runDir, 'train.slurm'), 'utf8')
    assert.match(script, /^#SBATCH --job-name='exp-2025-01-22-dry-train'$/m)
    assert.match(script, /^#SBATCH --time='00:05:00'$/m)
    assert.match(script, /^#SBATCH --qos='normal'$/m)
    // the path with a quote and a % is written the way sbatch reads it back
    assert.match(
      script,
      /^#SBATCH --output='.*\/ws it'\\''s #1 100%%\/experiments\/2025-01-22-dry\/runs\/.*\/train\.log'$/m,
    )
  })
})

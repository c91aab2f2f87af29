import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson} from '../support/exp.js'
import {type ClusterSession, closeClusterSession, openClusterSession, slurm, waitFor} from '../support/slurm.js'
import {installSweepEngine} from '../support/sweep-engine.js'

/**
 * `exp launch SWEEP --slurm` on a REAL single-node cluster configured with MaxArraySize=4: one job array per stage
 * (evaluation after its own training with aftercorr), chunked above MaxArraySize, a refused sbatch leaves nothing.
 */
describe('exp launch on a sweep (a real SLURM cluster, MaxArraySize=4)', function () {
  this.timeout(120_000)
  let s: ClusterSession | undefined
  let ws: string

  before(async function () {
    s = await openClusterSession(this, 'exp-sweep-slurm-', 'MaxArraySize=4')
    ws = path.join(s.scratch, 'ws')
    assert.equal((await exp(['init', ws], {cwd: s.scratch})).code, 0)
    await installSweepEngine(ws, 'backends:\n  slurm:\n    poll_interval: 1\n')
  })
  after(async function () {
    this.timeout(60_000)
    await closeClusterSession(s)
  })

  const run = (args: string[]) => exp(args, {cwd: ws, env: s!.env})
  const json = (args: string[]) => expJson(args, {cwd: ws, env: s!.env})
  const grid = async (name: string, axes: string[]) => {
    const r = await run(['new', name, ...axes.flatMap((a) => ['--grid', a]), '--date', '2025-04-01'])
    assert.equal(r.code, 0, r.stderr)
    return path.join(ws, 'experiments', `2025-04-01-${name}`)
  }
  const sbatches = async () => (await s!.shims.calls()).filter((c) => c.startsWith('sbatch'))
  /** every variant's newest run has ended (refreshing through exp list, which only observes) */
  const settled = (name: string) =>
    waitFor(
      `every variant of ${name} to end`,
      async () => {
        const listed = await json(['list', '--variants'])
        const rows = listed.json.variants.filter((v: any) => v.experiment.endsWith(`-${name}`))
        return rows.every((v: any) => v.status !== 'active' && v.runs > 0) ? rows : undefined
      },
      90_000,
    )
  /** this sweep's jobs SLURM still holds (pending or running), by job name */
  const pending = async (name: string) =>
    (await slurm(s!.cluster, 'squeue', ['-h', '-t', 'PENDING,RUNNING', '-o', '%i %j'])).stdout
      .split('\n')
      .filter((l) => l.includes(`-${name}-`))
      .join('\n')

  it('4 variants, one training fails: 2 sbatch calls, 3 evaluations, none after the failed training, success 3/4; the fix relaunches only it', async () => {
    const dir = await grid('four', ['model.latent_dim=8,16', 'training.epochs=1,2'])
    await fs.appendFile(path.join(dir, 'latent-dim8_epochs2', 'config.yaml'), 'fail: true\n')
    await s!.shims.reset()
    const r = await json(['launch', 'four', '--slurm', '--jobs', '2'])
    assert.equal(r.code, 0, r.stderr)
    const calls = await sbatches()
    assert.equal(calls.length, 2, calls.join('\n'))
    assert.match(calls[0], /^sbatch --parsable .*train\.array\.slurm$/)
    const trainArray =
      r.json.variants[0].run_id &&
      JSON.parse(
        await fs.readFile(
          path.join(dir, r.json.variants[0].variant, 'runs', r.json.variants[0].run_id, 'run.json'),
          'utf8',
        ),
      ).backend_data.jobs.train.array.job
    assert.match(
      calls[1],
      new RegExp(
        `^sbatch --parsable --dependency=aftercorr:${trainArray} --kill-on-invalid-dep=yes .*evaluate\\.array\\.slurm$`,
      ),
    )
    const script = await fs.readFile(calls[0].split(' ').pop()!, 'utf8')
    assert.match(script, /#SBATCH --array='?0-3%2'?\n/)
    assert.equal(
      (await fs.readFile(path.join(path.dirname(calls[0].split(' ').pop()!), 'variants.txt'), 'utf8'))
        .trim()
        .split('\n').length,
      4,
    )

    await s!.shims.reset()
    const rows = await settled('four')
    assert.equal(
      (await s!.shims.calls()).filter((c) => c.startsWith('sbatch') || c.startsWith('scancel')).length,
      0,
      'watching by exp list submits nothing',
    )
    const byName = Object.fromEntries(rows.map((v: any) => [v.variant, v]))
    assert.equal(byName['latent-dim8_epochs2'].status, 'failed')
    assert.equal(rows.filter((v: any) => v.status === 'success').length, 3)
    assert.equal(rows.filter((v: any) => v.reports === 1).length, 3, 'three evaluations ran')
    const failed = JSON.parse(
      await fs.readFile(
        path.join(
          dir,
          'latent-dim8_epochs2',
          'runs',
          byName['latent-dim8_epochs2'].runs && (await fs.readdir(path.join(dir, 'latent-dim8_epochs2', 'runs')))[0],
          'run.json',
        ),
        'utf8',
      ),
    )
    const evaluate = failed.stages.find((st: any) => st.name === 'evaluate')
    assert.notEqual(evaluate.state, 'completed')
    assert.equal(evaluate.started_at, undefined, "the failed variant's evaluation never started")
    await waitFor('nothing of this launch pending', async () => (await pending('four')) === '', 20_000)
    const listed = (await json(['list'])).json.experiments.find((e: any) => e.name.endsWith('-four'))
    assert.match(listed.reason, /3\/4/)

    await fs.writeFile(
      path.join(dir, 'latent-dim8_epochs2', 'config.yaml'),
      (await fs.readFile(path.join(dir, 'latent-dim8_epochs2', 'config.yaml'), 'utf8')).replace('fail: true\n', ''),
    )
    await s!.shims.reset()
    const again = await json(['launch', 'four', '--slurm'])
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(
      again.json.variants.filter((v: any) => v.action === 'launch').map((v: any) => v.variant),
      ['latent-dim8_epochs2'],
    )
    assert.equal((await sbatches()).length, 2)
  })

  it('6 variants with MaxArraySize=4: chunked arrays, all 6 evaluated', async () => {
    await grid('six', ['model.latent_dim=4,8,16', 'training.epochs=1,2'])
    await s!.shims.reset()
    const r = await json(['launch', 'six', '--slurm', '--jobs', '3'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await sbatches()).length, 4, 'two chunks of train + evaluate')
    assert.equal((await s!.shims.calls()).filter((c) => c.startsWith('scontrol show config')).length, 1)
    // refreshing the whole sweep (up to 12 live array tasks) costs one squeue call
    await s!.shims.reset()
    assert.equal((await run(['list'])).code, 0)
    const squeues = (await s!.shims.calls()).filter((c) => c.startsWith('squeue'))
    assert.equal(squeues.length, 1, squeues.join('\n'))
    assert.match(squeues[0], /^squeue -h -t all -r -j (\d+_\d,)*\d+_\d -o /)
    const rows = await settled('six')
    assert.deepEqual(
      rows.map((v: any) => v.status),
      Array.from({length: 6}, () => 'success'),
    )
  })

  it('a refused sbatch (bad partition) leaves nothing queued and records why', async () => {
    const dir = await grid('bad', ['model.latent_dim=8,16'])
    const r = await run(['launch', 'bad', '--slurm', '--partition', 'nope'])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, /sbatch refused the train array/)
    assert.equal(await pending('bad'), '')
    for (const v of ['latent-dim8', 'latent-dim16']) {
      const [id] = await fs.readdir(path.join(dir, v, 'runs'))
      const rec = JSON.parse(await fs.readFile(path.join(dir, v, 'runs', id, 'run.json'), 'utf8'))
      assert.equal(rec.state, 'cancelled')
      assert.match(rec.reason, /sbatch refused the train array/)
    }
  })
})

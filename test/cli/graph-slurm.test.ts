import assert from 'node:assert/strict'
import {promises as fs, readFileSync, readdirSync, readlinkSync} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, exp, expJson} from '../support/exp.js'
import {enginesYaml, graphOf, node, readGraph, writeGraph} from '../support/graph.js'
import {
  closeClusterSession,
  type ClusterSession,
  jobState,
  openClusterSession,
  slurm,
  waitFor,
} from '../support/slurm.js'

/** exp processes (the built bin/run.cjs) whose working directory is `dir`. */
function expProcessesIn(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmd.includes(EXP_BIN) && readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids
}

describe('exp graph submit --slurm (a real SLURM cluster)', function () {
  this.timeout(180_000)
  let session: ClusterSession | undefined

  before(async function () {
    this.timeout(120_000)
    session = await openClusterSession(this, 'exp-graph-slurm-')
  })

  after(async function () {
    this.timeout(60_000)
    await closeClusterSession(session)
  })

  it('train → 2 finetunes (one failing) → 2 evals → noop: one sbatch per job, no exp left running, outcomes from the jobs', async () => {
    const {cluster, env, scratch, shims} = session!
    const ws = path.join(scratch, 'ws')
    assert.equal((await exp(['init', ws], {cwd: scratch})).code, 0)
    await fs.appendFile(path.join(ws, 'exp.yaml'), `\n${enginesYaml()}backends:\n  slurm:\n    time: "00:05:00"\n`)
    await writeGraph(
      ws,
      graphOf([
        node('base', 'train'),
        node('ft-good', 'finetune', ['base']),
        node('ft-bad', 'finetune', ['base'], {spec: {experiment_config: {fail: true}}}),
        node('ev-good', 'eval', ['ft-good']),
        node('ev-bad', 'eval', ['ft-bad']),
        node('done', 'noop', ['ev-good', 'ev-bad']),
      ]),
    )
    const dry = await exp(['graph', 'submit', '--slurm', '--dry-run'], {cwd: ws, env})
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /Would submit ev-bad \(eval\) after <ft-bad>/)
    assert.deepEqual(await shims.calls(), [], 'a dry run submits nothing')

    const r = await expJson(['graph', 'submit', '--slurm'], {cwd: ws, env})
    assert.equal(r.code, 0, r.stderr)
    const calls = (await shims.calls()).filter((c) => c.startsWith('sbatch'))
    assert.equal(calls.length, 5, calls.join('\n'))
    const jobOf = Object.fromEntries(r.json.submitted.map((s: any) => [s.id, s.job_ids[0]]))
    assert.match(calls[0], /^sbatch --parsable \S+train\.slurm$/)
    assert.ok(calls.some((c) => c.includes(`--dependency=afterok:${jobOf.base} --kill-on-invalid-dep=yes`)))
    assert.ok(calls.some((c) => c.includes(`--dependency=afterok:${jobOf['ft-bad']} --kill-on-invalid-dep=yes`)))
    assert.deepEqual(expProcessesIn(ws), [], 'no exp process is left running')
    const submitted = await readGraph(ws)
    for (const id of ['base', 'ft-good', 'ft-bad', 'ev-good', 'ev-bad']) {
      assert.equal(submitted.nodes[id].status, 'in_progress', id)
      assert.deepEqual(submitted.nodes[id].claimed_by.job_ids, [jobOf[id]])
    }
    assert.equal(submitted.nodes.done.status, 'not_started')

    const ids = Object.values(jobOf) as string[]
    await waitFor(
      'every job to end',
      async () => {
        const states = await Promise.all(ids.map((id) => jobState(cluster, id)))
        return states.every((s) => s === '' || !/^(PENDING|CONFIGURING|RUNNING|COMPLETING)/.test(s))
      },
      120_000,
    )
    await shims.reset()
    const show = await expJson(['graph', 'show'], {cwd: ws, env})
    assert.equal(show.code, 0, show.stderr)
    assert.equal((await shims.calls()).filter((c) => c.startsWith('squeue')).length, 1, 'one squeue call for every job')
    const status = Object.fromEntries(show.json.nodes.map((n: any) => [n.id, n.status]))
    assert.deepEqual(status, {
      base: 'completed',
      done: 'not_started',
      'ev-bad': 'interrupted',
      'ev-good': 'completed',
      'ft-bad': 'failed',
      'ft-good': 'completed',
    })
    const evBad = (await readGraph(ws)).nodes['ev-bad']
    assert.match(evBad.reason, /^dependency ft-bad failed/)
    assert.equal(
      show.json.nodes.find((n: any) => n.id === 'done').why,
      'blocked: ev-bad interrupted — exp graph reset ev-bad',
    )
    // the cluster is the suite's (other files' jobs run beside these): this workspace's jobs, by working directory
    const pending = await slurm(cluster, 'squeue', ['-h', '-t', 'pending,running', '-o', '%i %Z'])
    assert.equal(
      pending.stdout
        .split('\n')
        .filter((line) => line.includes(scratch))
        .join('\n'),
      '',
      'no job pending',
    )
  })
})

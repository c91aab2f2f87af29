import assert from 'node:assert/strict'
import {existsSync, promises as fs, readdirSync} from 'node:fs'
import path from 'node:path'

import {normaliseTarget, Rclone} from '../../src/remote/rclone.js'
import {expJson} from '../support/exp.js'
import {graphOf, graphWorkspace, node} from '../support/graph.js'
import {rcloneSuite} from '../support/rclone.js'

/**
 * Preemption through the WebDAV remote: a train node completes on workspace A (its experiment and checkpoint are
 * pushed when it ends); workspace B, which never had them, runs the eval node: the checkpoint is downloaded and
 * verified against its MANIFEST.json before the engine starts. A remote copy with one byte changed is refused.
 */
/** each graph change is ten or so rclone processes: on a loaded machine one graph run can take minutes */
const RUN_TIMEOUT = 240_000

describe('exp graph run with a remote: a checkpoint made on one machine is fetched and verified on another', function () {
  this.timeout(600_000)
  const suite = rcloneSuite()
  const {dirs} = suite

  /** Workspaces A and B sharing the graph train t → eval e under `root`; A runs t. */
  async function trainOnA(root: string): Promise<{a: string; b: string; experiment: string; run: string}> {
    // through the server (a folder made behind its back stays unseen while it caches the listing)
    await new Rclone(normaliseTarget('dav:', root), {...process.env, ...suite.rc.env}).writeText(
      'work_graph.json',
      JSON.stringify(graphOf([node('t', 'train'), node('e', 'eval', ['t'])]), null, 2),
    )
    const [a, b] = await Promise.all([graphWorkspace(), graphWorkspace()])
    dirs.push(a, b)
    for (const ws of [a, b])
      await fs.appendFile(
        path.join(ws, 'exp.yaml'),
        `remote:\n  rclone_remote: "dav:"\n  rclone_root: ${root}\n  lease_seconds: 20\n  settle_seconds: 0.1\n`,
      )
    const r = await expJson(['graph', 'run', '--max-nodes', '1'], {
      cwd: a,
      env: {...suite.rc.env, ENGINE_SLEEP: '0.01'},
      timeout: RUN_TIMEOUT,
    })
    assert.equal(r.code, 0, r.stderr || JSON.stringify(r.json))
    assert.deepEqual(
      r.json.ran.map((x: any) => [x.id, x.status]),
      [['t', 'completed']],
    )
    const graph = JSON.parse(await fs.readFile(path.join(suite.rc.served, root, 'work_graph.json'), 'utf8'))
    const {experiment, runs} = graph.nodes.t
    const remoteCheckpoint = path.join(suite.rc.served, root, 'experiments', experiment, 'checkpoints', runs[0])
    assert.ok(
      existsSync(path.join(remoteCheckpoint, 'MANIFEST.json')),
      'the checkpoint was pushed with its manifest when the train ended',
    )
    assert.equal(
      await fs.readFile(path.join(remoteCheckpoint, 'weights'), 'utf8'),
      await fs.readFile(path.join(a, 'experiments', experiment, 'checkpoints', runs[0], 'weights'), 'utf8'),
    )
    assert.ok(!existsSync(path.join(b, 'experiments', experiment)), 'B never had the experiment')
    return {a, b, experiment, run: runs[0]}
  }

  it('B runs the eval: the checkpoint is downloaded, verified, and the eval completes on it', async () => {
    const {b, experiment, run} = await trainOnA('preempt')
    const r = await expJson(['graph', 'run'], {cwd: b, env: suite.rc.env, timeout: RUN_TIMEOUT})
    assert.equal(r.code, 0, r.stderr || JSON.stringify(r.json))
    assert.deepEqual(
      r.json.ran.map((x: any) => [x.id, x.status]),
      [['e', 'completed']],
    )
    const local = path.join(b, 'experiments', experiment, 'checkpoints', run)
    assert.equal(await fs.readFile(path.join(local, 'weights'), 'utf8'), experiment)
    assert.ok(existsSync(path.join(local, 'MANIFEST.json')))
    assert.ok(
      existsSync(path.join(b, 'experiments', experiment, 'config.yaml')),
      "the producer's small files came along",
    )
    // the eval engine read that checkpoint, and its report was pushed back
    const graph = JSON.parse(await fs.readFile(path.join(suite.rc.served, 'preempt', 'work_graph.json'), 'utf8'))
    const evalExperiment = graph.nodes.e.experiment
    const evalDir = path.join(b, 'experiments', evalExperiment)
    const report = JSON.parse(await fs.readFile(path.join(evalDir, 'reports', `${graph.nodes.e.runs[0]}.json`), 'utf8'))
    assert.equal(path.resolve(evalDir, report.checkpoint), local)
    assert.ok(
      existsSync(
        path.join(
          suite.rc.served,
          'preempt',
          'experiments',
          evalExperiment,
          'reports',
          `${graph.nodes.e.runs[0]}.json`,
        ),
      ),
    )
  })

  it('one byte changed on the server: the download is refused naming the file, the eval fails, nothing is kept', async () => {
    const {b, experiment, run} = await trainOnA('corrupt')
    const served = path.join(suite.rc.served, 'corrupt', 'experiments', experiment, 'checkpoints', run, 'weights')
    const bytes = await fs.readFile(served)
    bytes[0] ^= 1
    await fs.writeFile(served, bytes)
    const r = await expJson(['graph', 'run'], {cwd: b, env: suite.rc.env, timeout: RUN_TIMEOUT})
    assert.equal(r.code, 1, r.stderr || JSON.stringify(r.json))
    assert.deepEqual(
      r.json.ran.map((x: any) => [x.id, x.status]),
      [['e', 'failed']],
    )
    assert.match(
      r.json.ran[0].reason,
      new RegExp(`the remote copy of checkpoint ${run} is corrupt: weights \\(sha256 differs\\); refused`),
    )
    const checkpoints = path.join(b, 'experiments', experiment, 'checkpoints')
    assert.deepEqual(
      existsSync(checkpoints) ? readdirSync(checkpoints) : [],
      [],
      'no checkpoint and no partial folder kept',
    )
  })
})

import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, removeDir, requireTool, tempDir} from '../support/exp.js'
import {clusterUnavailable, type Cluster, makeShims, stopCluster, suiteCluster} from '../support/slurm.js'

/**
 * Checkpoint integrity on a REAL single-node SLURM cluster: no exp process runs between the jobs (evaluate starts by
 * afterok), so the batch scripts run exp's checkpoint step themselves: the train job commits MANIFEST.json after
 * its engine, the evaluate job checks it (quick) before its engine and fails, naming the file, when it is broken.
 */
describe('checkpoint manifests through SLURM (a real cluster)', function () {
  this.timeout(120_000)
  let cluster: Cluster | undefined
  let scratch: string
  let ws: string
  let env: Record<string, string>
  before(async function () {
    const missing = clusterUnavailable()
    requireTool(this, missing === undefined, missing ?? '')
    cluster = await suiteCluster()
    scratch = await tempDir('exp-slurm-ck-')
    const shims = await makeShims(scratch)
    env = {...cluster.env, PATH: `${shims.bin}${path.delimiter}${process.env.PATH}`}
    ws = path.join(scratch, 'ws')
    assert.equal((await exp(['init', ws], {cwd: scratch})).code, 0)
    assert.equal((await exp(['new', 'ck', '--date', '2025-01-22'], {cwd: ws})).code, 0)
  })
  after(async function () {
    this.timeout(60_000)
    await stopCluster(cluster)
    await removeDir(scratch)
  })

  const dir = () => path.join(ws, 'experiments', '2025-01-22-ck')
  const launchAndWatch = async (extra: string[] = []) => {
    const launched = await expJson(['launch', 'ck', '--slurm', ...extra], {cwd: ws, env})
    assert.equal(launched.code, 0, launched.stderr)
    await exp(['watch', 'ck', '--interval', '1'], {cwd: ws, env, timeout: 90_000})
    return JSON.parse(await fs.readFile(path.join(dir(), 'runs', launched.json.run_id, 'run.json'), 'utf8'))
  }

  it('the train job commits the manifest; evaluate runs on the committed checkpoint', async () => {
    const run = await launchAndWatch()
    assert.equal(run.state, 'completed', JSON.stringify(run.stages))
    const manifest = JSON.parse(await fs.readFile(path.join(dir(), 'checkpoints', run.run_id, 'MANIFEST.json'), 'utf8'))
    assert.equal(manifest.run_id, run.run_id)
    assert.deepEqual(manifest.argv, run.stages[0].command)
    assert.equal(
      run.stages[0].checkpoint.files,
      manifest.files.length,
      'the stage record names the committed checkpoint',
    )
    assert.equal(run.stages[0].checkpoint.bytes, manifest.bytes)
    assert.equal((await exp(['verify', 'ck'], {cwd: ws, env})).code, 0)
  })

  it('an evaluate job on a corrupted checkpoint never starts the engine; the stage fails naming the file', async () => {
    const [trained] = (await fs.readdir(path.join(dir(), 'checkpoints'))).sort()
    await fs.truncate(path.join(dir(), 'checkpoints', trained, 'model.json'), 100)
    const run = await launchAndWatch(['--stage', 'evaluate'])
    const evaluate = run.stages.find((s: any) => s.name === 'evaluate')
    assert.equal(evaluate.state, 'failed')
    assert.match(evaluate.reason, new RegExp(`checkpoints/${trained}/model\\.json: size 100 ≠ \\d+`))
    assert.equal(existsSync(path.join(dir(), run.report)), false, 'no report: the engine never ran')
    assert.doesNotMatch(await fs.readFile(path.join(dir(), evaluate.log), 'utf8').catch(() => ''), /burgers:/)
  })
})

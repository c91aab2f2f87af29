import assert from 'node:assert/strict'
import {promises as fs, readFileSync} from 'node:fs'
import path from 'node:path'

import {exp, expJson, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'
import {holdWorkspaceLock} from '../support/held-lock.js'

/**
 * Issue 21, the launch's own path: a launch reads only the experiment's run records (no scan of the workspace or of
 * the experiment's logs and checkpoints), and under the workspace lock it re-checks only the folder's identity and the
 * run folders new since its first read. These are the guarantees that must survive the cheaper reads: a run another
 * launch recorded while this one waited for the lock still refuses it, a record from before does not, and
 * exp.local.yaml (parsed only when it exists) still fills `{local.NAME}`.
 */

/** Another run of the experiment, made from a record exp wrote: `live` leaves it queued, as a launch racing this one. */
function anotherRun(recorded: Record<string, unknown>, runId: string, live: boolean): object {
  const state = live ? 'queued' : 'completed'
  const stages = (recorded.stages as object[]).map((s) => ({...s, state}))
  return {...recorded, created_at: new Date().toISOString(), run_id: runId, stages, state}
}

const engines = (train: string[]) =>
  `engines:\n  train: ${JSON.stringify(train)}\n  evaluate: ${JSON.stringify(['true'])}\n`

describe('exp launch: the checks a launch makes, made cheaply', function () {
  this.timeout(60_000)
  let ws: string
  afterEach(async () => ws && removeDir(ws))

  it('a live run recorded while the launch waited for the lock refuses it; an older finished run does not', async () => {
    ws = await tempWorkspace()
    await fs.appendFile(path.join(ws, 'exp.yaml'), engines(['true']))
    const dir = await makeExperiment(ws, '2025-01-22-x')
    const first = await expJson(['launch', 'x'], {cwd: ws}) // a finished run the next launches read
    assert.equal(first.code, 0, first.stderr)
    const recorded = JSON.parse(readFileSync(path.join(dir, 'runs', first.json.run_id, 'run.json'), 'utf8'))
    const lock = await holdWorkspaceLock(ws)
    const launch = expJson(['launch', 'x'], {cwd: ws})
    await lock.someoneWaits() // the launch has read the experiment (no live run) and waits for the lock
    const racing = '20991231-235959-bbbb'
    await fs.mkdir(path.join(dir, 'runs', racing))
    await fs.writeFile(path.join(dir, 'runs', racing, 'run.json'), JSON.stringify(anotherRun(recorded, racing, true)))
    await lock.release()
    const r = await launch
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.json.error?.code, 'LIVE_RUN', JSON.stringify(r.json))
    assert.match(r.json.error.message, new RegExp(`already has a live run: ${racing} is queued on local`))
    // nothing of the refused launch on disk: the two runs that were there, no third
    assert.deepEqual((await fs.readdir(path.join(dir, 'runs'))).sort(), [first.json.run_id, racing])

    // the racing run finished: the next launch goes ahead past both records
    await fs.writeFile(path.join(dir, 'runs', racing, 'run.json'), JSON.stringify(anotherRun(recorded, racing, false)))
    const next = await expJson(['launch', 'x'], {cwd: ws})
    assert.equal(next.code, 0, next.stderr)
    assert.equal(next.json.state, 'completed')
    assert.equal((await fs.readdir(path.join(dir, 'runs'))).length, 3)
  })

  it('{local.NAME} comes from exp.local.yaml when there is one; a name it lacks, or a list, is one line', async () => {
    ws = await tempWorkspace()
    await fs.appendFile(path.join(ws, 'exp.yaml'), engines(['echo', '--out', '{local.scratch}/run']))
    await makeExperiment(ws, '2025-01-22-x')
    const missing = await exp(['launch', 'x', '--dry-run'], {cwd: ws})
    assert.equal(missing.code, 1)
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr)
    assert.match(missing.stderr, /exp.yaml engines uses \{local.scratch\}, but "scratch" is not set in exp.local.yaml/)

    await fs.writeFile(path.join(ws, 'exp.local.yaml'), "scratch: '/scratch/my lab' # mine\n")
    const planned = await expJson(['launch', 'x', '--dry-run'], {cwd: ws})
    assert.equal(planned.code, 0, planned.stderr)
    assert.deepEqual(planned.json.stages[0].argv, ['echo', '--out', '/scratch/my lab/run'])
    const ran = await expJson(['launch', 'x'], {cwd: ws})
    assert.equal(ran.code, 0, ran.stderr)
    const log = path.join(ws, ran.json.stages[0].log)
    assert.equal(readFileSync(log, 'utf8').trim(), '--out /scratch/my lab/run')

    await fs.writeFile(path.join(ws, 'exp.local.yaml'), 'scratch: [a, b]\n')
    const bad = await exp(['launch', 'x', '--dry-run'], {cwd: ws})
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /invalid exp.local.yaml: "scratch" must be a plain value/)
  })
})

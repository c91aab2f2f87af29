import assert from 'node:assert/strict'

import {expJson, inProcess, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

/** Run ids carry only the second: runs created in the same second list in creation order (newest first) everywhere. */
function runRecord(experiment: string, runId: string, createdAt: string): object {
  const stage = {command: ['true'], cwd: '.', log: `runs/${runId}/train.log`, name: 'train', state: 'completed'}
  return {
    backend: 'local',
    created_at: createdAt,
    experiment,
    run_id: runId,
    schema: 1,
    stages: [stage],
    state: 'completed',
    updated_at: createdAt,
  }
}

describe('run order: creation time, then id', function () {
  inProcess()
  this.timeout(60_000)
  let ws: string | undefined
  afterEach(async () => removeDir(ws))

  it("exp runs and exp show list runs of the same second newest first, whatever their ids' random suffixes", async () => {
    ws = await tempWorkspace()
    // the first run's suffix sorts after the second's: ordering by id would put them the wrong way round
    await makeExperiment(ws, '2025-01-22-x', {
      'runs/20250122-101500-ffff/run.json': runRecord(
        '2025-01-22-x',
        '20250122-101500-ffff',
        '2025-01-22T10:15:00.100Z',
      ),
      'runs/20250122-101500-0000/run.json': runRecord(
        '2025-01-22-x',
        '20250122-101500-0000',
        '2025-01-22T10:15:00.900Z',
      ),
    })
    await makeExperiment(ws, '2025-01-22-y', {
      'runs/20250122-101500-aaaa/run.json': runRecord(
        '2025-01-22-y',
        '20250122-101500-aaaa',
        '2025-01-22T10:15:00.500Z',
      ),
    })
    const one = await expJson(['runs', 'x'], {cwd: ws})
    assert.equal(one.code, 0, one.stderr)
    assert.deepEqual(
      one.json.runs.map((r: {run_id: string}) => r.run_id),
      ['20250122-101500-0000', '20250122-101500-ffff'],
    )
    const all = await expJson(['runs'], {cwd: ws})
    assert.deepEqual(
      all.json.runs.map((r: {run_id: string}) => r.run_id),
      ['20250122-101500-0000', '20250122-101500-aaaa', '20250122-101500-ffff'],
    )
    const show = await expJson(['show', 'x'], {cwd: ws})
    assert.equal(show.code, 0, show.stderr)
    assert.deepEqual(
      show.json.runs_detail.map((r: {run_id: string}) => r.run_id),
      ['20250122-101500-0000', '20250122-101500-ffff'],
    )
  })
})

import {strict as assert} from 'node:assert'

import {decideStage} from '../../src/backends/slurm.js'
import {
  mapSlurmState,
  parseEndRecord,
  parseExitCode,
  parseSacct,
  parseScontrolJob,
  parseSqueue,
} from '../../src/backends/slurm/states.js'
import type {StageRecord} from '../../src/runs/record.js'

const NOW = new Date('2025-03-01T12:00:00Z')
const stage: StageRecord = {
  command: ['python3', 'train.py'],
  cwd: '/x',
  job_id: '12',
  log: 'runs/r/train.log',
  name: 'train',
  state: 'queued',
}
const end = (exitCode: number, signal?: string) => ({endedAt: '2025-03-01T11:59:00Z', exitCode, jobId: '12', signal})

describe('slurm states', () => {
  it('maps SLURM job states to run states as the issue lists them', () => {
    const expected: Record<string, string> = {
      BOOT_FAIL: 'failed',
      CANCELLED: 'cancelled',
      'CANCELLED by 0': 'cancelled',
      COMPLETED: 'completed',
      COMPLETING: 'running',
      CONFIGURING: 'queued',
      DEADLINE: 'failed',
      FAILED: 'failed',
      NODE_FAIL: 'failed',
      OUT_OF_MEMORY: 'failed',
      PENDING: 'queued',
      PREEMPTED: 'interrupted',
      RUNNING: 'running',
      TIMEOUT: 'interrupted',
      SOME_FUTURE_STATE: 'running',
    }
    for (const [slurm, state] of Object.entries(expected)) assert.equal(mapSlurmState(slurm), state, slurm)
  })

  it('parses squeue, sacct and scontrol output', () => {
    const q = parseSqueue('12|RUNNING|None\n13|PENDING|Dependency\n\n')
    assert.deepEqual([...q.keys()], ['12', '13'])
    assert.deepEqual(q.get('13'), {id: '13', reason: 'Dependency', state: 'PENDING'})
    const a = parseSacct('12|CANCELLED by 0|0:0\n12.batch|CANCELLED|0:15\n13|TIMEOUT|0:0\n')
    assert.deepEqual([...a.keys()], ['12', '13'])
    assert.equal(a.get('12')!.state, 'CANCELLED')
    assert.deepEqual(
      parseScontrolJob(
        'JobId=5 JobName=x JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:01',
      ),
      {
        exitCode: '3:0',
        reason: 'NonZeroExitCode',
        state: 'FAILED',
      },
    )
    assert.deepEqual(parseExitCode('3:0'), {code: 3, signal: null})
    assert.deepEqual(parseExitCode('0:15'), {code: null, signal: 15})
    assert.equal(parseEndRecord('exit_code=\nended_at=x\n'), undefined)
    assert.deepEqual(parseEndRecord('exit_code=0\nended_at=2025-01-01T00:00:00Z\njob_id=9\nsignal=\n'), {
      endedAt: '2025-01-01T00:00:00Z',
      exitCode: 0,
      jobId: '9',
      signal: undefined,
    })
  })

  it('a job in the queue: its SLURM state, the start from its own record', () => {
    assert.equal(
      decideStage(stage, {slurm: {id: '12', reason: 'Priority', source: 'squeue', state: 'PENDING'}}, NOW).state,
      'queued',
    )
    const running = decideStage(
      stage,
      {
        slurm: {id: '12', reason: 'None', source: 'squeue', state: 'RUNNING'},
        started: {job_id: '12', started_at: '2025-03-01T11:58:00Z'},
      },
      NOW,
    )
    assert.equal(running.state, 'running')
    assert.equal(running.started_at, '2025-03-01T11:58:00Z')
    assert.equal(running.ended_at, undefined)
  })

  it('a job that left the queue: its end record decides how the engine ended', () => {
    const ok = decideStage(
      stage,
      {end: end(0), slurm: {id: '12', reason: 'None', source: 'squeue', state: 'COMPLETED'}},
      NOW,
    )
    assert.deepEqual([ok.state, ok.exit_code, ok.ended_at], ['completed', 0, '2025-03-01T11:59:00Z'])
    const failed = decideStage(
      stage,
      {end: end(2), slurm: {id: '12', reason: 'NonZeroExitCode', source: 'squeue', state: 'FAILED'}},
      NOW,
    )
    assert.deepEqual([failed.state, failed.exit_code, failed.reason], ['failed', 2, undefined])
    // SLURM has forgotten the job, but the job recorded its end: that is the truth
    assert.equal(decideStage(stage, {end: end(0)}, NOW).state, 'completed')
    assert.equal(decideStage(stage, {end: end(1)}, NOW).state, 'failed')
  })

  it('a job that was stopped: SLURM says why (scancel → cancelled, time limit → interrupted)', () => {
    const cancelled = decideStage(
      stage,
      {end: end(143, 'TERM'), slurm: {id: '12', reason: 'None', source: 'squeue', state: 'CANCELLED'}},
      NOW,
    )
    assert.deepEqual([cancelled.state, cancelled.exit_code, cancelled.signal], ['cancelled', 143, 'SIGTERM'])
    assert.match(cancelled.reason!, /SLURM job 12 CANCELLED; the engine received SIGTERM/)
    const timeout = decideStage(
      stage,
      {end: end(143, 'TERM'), slurm: {id: '12', reason: 'TimeLimit', source: 'squeue', state: 'TIMEOUT'}},
      NOW,
    )
    assert.deepEqual(
      [timeout.state, timeout.reason],
      ['interrupted', 'SLURM job 12 TIMEOUT (TimeLimit); the engine received SIGTERM'],
    )
    const never = decideStage(
      {...stage, name: 'evaluate'},
      {slurm: {id: '12', reason: 'DependencyNeverSatisfied', source: 'squeue', state: 'CANCELLED'}},
      NOW,
    )
    assert.deepEqual([never.state, never.reason], ['cancelled', 'SLURM job 12 CANCELLED (DependencyNeverSatisfied)'])
    const forgottenStopped = decideStage(stage, {end: end(143, 'TERM')}, NOW)
    assert.equal(forgottenStopped.state, 'interrupted')
  })

  it('a job SLURM no longer knows and that wrote no end record is interrupted, with that reason', () => {
    const lost = decideStage({...stage, state: 'running'}, {}, NOW)
    assert.equal(lost.state, 'interrupted')
    assert.equal(lost.reason, 'SLURM no longer knows job 12 and it wrote no end record')
    assert.equal(lost.ended_at, NOW.toISOString())
    // ...unless accounting remembers it
    const acct = decideStage(
      stage,
      {slurm: {exitCode: '0:0', id: '12', reason: '', source: 'sacct', state: 'COMPLETED'}},
      NOW,
    )
    assert.equal(acct.state, 'completed')
    const oom = decideStage(
      stage,
      {slurm: {exitCode: '0:9', id: '12', reason: '', source: 'sacct', state: 'OUT_OF_MEMORY'}},
      NOW,
    )
    assert.deepEqual(
      [oom.state, oom.signal, oom.reason],
      ['failed', 'signal 9', 'SLURM job 12 OUT_OF_MEMORY (accounting); the job wrote no end record'],
    )
  })

  it("a job SLURM says ended but that wrote no end record (the run folder not shared?): SLURM's word, scontrol's exit code", () => {
    const failed = decideStage(
      stage,
      {slurm: {exitCode: '3:0', id: '12', reason: 'NonZeroExitCode', source: 'squeue', state: 'FAILED'}},
      NOW,
    )
    assert.deepEqual(
      [failed.state, failed.exit_code, failed.reason],
      ['failed', 3, 'SLURM job 12 FAILED (NonZeroExitCode); the job wrote no end record'],
    )
    const done = decideStage(stage, {slurm: {id: '12', reason: 'None', source: 'squeue', state: 'COMPLETED'}}, NOW)
    assert.deepEqual([done.state, done.exit_code], ['completed', 0])
  })
})

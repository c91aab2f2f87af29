import assert from 'node:assert/strict'

import type {ExperimentSnapshot} from '../../src/experiments/snapshot.js'
import type {RunRecord, RunState, StageRecord} from '../../src/runs/record.js'
import {sweepTransitions, variantRuns} from '../../src/sweeps/observe-transitions.js'
import {renderStatusTable, statusRows} from '../../src/sweeps/status-table.js'

/**
 * The transitions of a SLURM sweep written by hand (job ids, states as the backend records them): what each
 * observation adds given what is logged, phase rounds, a relaunch.
 */
const T0 = Date.parse('2025-10-22T10:00:00Z')
const iso = (s: number) => new Date(T0 + s * 1000).toISOString()

function stage(name: StageRecord['name'], state: RunState, job: string, started?: number, ended?: number): StageRecord {
  return {
    command: ['python3'],
    cwd: '/x',
    ended_at: ended === undefined ? undefined : iso(ended),
    exit_code: state === 'failed' ? 1 : state === 'completed' ? 0 : undefined,
    job_id: job,
    log: `runs/r/${name}.log`,
    name,
    started_at: started === undefined ? undefined : iso(started),
    state,
  }
}

function run(id: string, state: RunState, stages: StageRecord[]): RunRecord {
  return {
    backend: 'slurm',
    created_at: iso(0),
    experiment: `sw/${id}`,
    run_id: id,
    schema: 1,
    stages,
    state,
    updated_at: iso(0),
  }
}

function sweep(runs: Record<string, RunRecord[]>): ExperimentSnapshot {
  const variant = (name: string): ExperimentSnapshot => ({
    bytes: 0,
    date: null,
    dir: `/w/sw/${name}`,
    fileCount: 0,
    hasConfig: true,
    lastModified: 0,
    lastModifiedPath: '.',
    location: 'experiments',
    name,
    reports: [],
    runs: runs[name],
    slug: name,
    warnings: [],
  })
  return {
    ...variant('sw'),
    runs: [],
    sweep: {
      controls: [],
      naming: {abbreviations: {}, varying: []},
      schema: 1,
      source: {axes: [], kind: 'grid'},
      variants: Object.keys(runs).map((n) => ({name: n, params: {}, setup: 'ok'})),
    },
    variants: Object.keys(runs).map(variant),
  }
}

describe('orchestration log: transitions of a SLURM sweep', () => {
  const now = new Date(T0 + 3600_000)
  const logAll = (s: ExperimentSnapshot, logged: Set<string>) => {
    const out = sweepTransitions(s, logged, now)
    for (const t of out) logged.add(t.key)
    return out.map((t) => `${t.action}: ${t.description}`)
  }

  it('queued → training → one failed → evaluations, observed in three steps: each entry once, phases with counts', () => {
    const logged = new Set<string>()
    const queued = sweep({
      a: [run('r1', 'queued', [stage('train', 'queued', '100_0'), stage('evaluate', 'queued', '101_0')])],
      b: [run('r2', 'queued', [stage('train', 'queued', '100_1'), stage('evaluate', 'queued', '101_1')])],
    })
    assert.deepEqual(logAll(queued, logged), [
      'DISCOVER: sweep sw: 2 variants in sweep.yaml',
      'VERIFY: scaffolding of 2 variants (config.yaml, setup)',
      'SUBMIT: a: run r1 submitted (slurm)',
      'SUBMIT: b: run r2 submitted (slurm)',
    ])
    assert.deepEqual(logAll(queued, logged), [])
    const trained = sweep({
      a: [
        run('r1', 'running', [stage('train', 'completed', '100_0', 10, 70), stage('evaluate', 'running', '101_0', 71)]),
      ],
      b: [
        run('r2', 'failed', [
          stage('train', 'failed', '100_1', 12, 40),
          {...stage('evaluate', 'cancelled', '101_1', undefined, 41), reason: 'dependency never satisfied'},
        ]),
      ],
    })
    assert.deepEqual(logAll(trained, logged), [
      'PHASE_START: Training phase started',
      'TRAIN_STARTED: a: training started (job 100_0)',
      'TRAIN_STARTED: b: training started (job 100_1)',
      'TRAIN_FAILED: b: training failed (job 100_1)',
      'EVAL_SKIPPED: b: evaluation not run',
      'TRAIN_COMPLETED: a: training completed (job 100_0)',
      'PHASE_COMPLETE: Training phase: 2 jobs completed - 1 COMPLETED, 1 FAILED',
      'PHASE_START: Evaluation phase started',
      'EVAL_STARTED: a: evaluation started (job 101_0)',
    ])
    const done = sweep({
      a: [
        run('r1', 'completed', [
          stage('train', 'completed', '100_0', 10, 70),
          stage('evaluate', 'completed', '101_0', 71, 100),
        ]),
      ],
      b: trained.variants![1].runs,
    })
    const last = sweepTransitions(done, logged, now)
    assert.deepEqual(
      last.map((t) => `${t.action}: ${t.description}`),
      [
        'EVAL_COMPLETED: a: evaluation completed (job 101_0)',
        'PHASE_COMPLETE: Evaluation phase: 1 jobs completed - 1 COMPLETED, 0 FAILED',
        'SWEEP_COMPLETE: sw: 1/2 variants completed',
      ],
    )
    assert.deepEqual(last[1].details, ['duration 29s', '1 SKIPPED (training did not complete)'])
    assert.equal(last[2].result, 'PARTIAL')
    for (const t of last) logged.add(t.key)

    // b relaunched (a new run): a new round of phases and a new final status; a's entries are not repeated
    const again = sweep({
      a: done.variants![0].runs,
      b: [
        run('r3', 'completed', [
          stage('train', 'completed', '200_0', 200, 260),
          stage('evaluate', 'completed', '201_0', 261, 300),
        ]),
        ...trained.variants![1].runs,
      ],
    })
    const round = logAll(again, logged)
    assert.deepEqual(
      round.filter((l) => l.startsWith('PHASE') || l.startsWith('SWEEP')),
      [
        'PHASE_START: Training phase started',
        'PHASE_COMPLETE: Training phase: 1 jobs completed - 1 COMPLETED, 0 FAILED',
        'PHASE_START: Evaluation phase started',
        'PHASE_COMPLETE: Evaluation phase: 1 jobs completed - 1 COMPLETED, 0 FAILED',
        'SWEEP_COMPLETE: sw: 2/2 variants completed',
      ],
    )
    assert.ok(
      round.every((l) => !l.includes(' a: ')),
      round.join('\n'),
    )

    const table = renderStatusTable(
      statusRows(
        variantRuns(again),
        new Map([
          ['a', 0.031],
          ['b', undefined],
        ]),
      ),
      'final_nrmse',
    )
    assert.equal(
      table,
      [
        '| Variant | Train job | Train state | Evaluation job | Evaluation state | final_nrmse |',
        '|---|---|---|---|---|---|',
        '| a | 100_0 | completed | 101_0 | completed | 0.031 |',
        '| b | 200_0 | completed | 201_0 | completed | — |',
      ].join('\n'),
    )
  })
})

import assert from 'node:assert/strict'

import {classify} from '../../src/classify/classify.js'
import type {ExperimentSnapshot} from '../../src/experiments/snapshot.js'
import {parseReport} from '../../src/reports/report.js'
import type {RunRecord, RunState} from '../../src/runs/record.js'

const NOW = new Date('2025-03-01T12:00:00Z')
const DAY = 86_400_000
const opts = {now: NOW, staleDays: 30}

function snap(partial: Partial<ExperimentSnapshot> = {}): ExperimentSnapshot {
  return {
    bytes: 0,
    date: '2025-01-22',
    dir: '/ws/experiments/2025-01-22-x',
    fileCount: 3,
    hasConfig: true,
    lastModified: NOW.getTime() - DAY,
    lastModifiedPath: 'notes.md',
    location: 'experiments',
    name: '2025-01-22-x',
    reports: [],
    runs: [],
    slug: 'x',
    warnings: [],
    ...partial,
  }
}

function report(data: object | string, daysAgo: number, file = 'r.json') {
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  return parseReport(`/ws/experiments/2025-01-22-x/reports/${file}`, text, NOW.getTime() - daysAgo * DAY, 'experiment')
}

function run(state: RunState, daysAgo: number, stageState: RunState = state): RunRecord {
  const t = new Date(NOW.getTime() - daysAgo * DAY).toISOString()
  return {
    backend: 'local',
    created_at: t,
    experiment: '2025-01-22-x',
    run_id: `r-${daysAgo}`,
    schema: 1,
    stages: [
      {
        command: ['python3', 'train.py'],
        cwd: '.',
        ended_at: state === 'running' ? undefined : t,
        exit_code: stageState === 'failed' ? 3 : 0,
        log: 'train.log',
        name: 'train',
        state: stageState,
      },
    ],
    state,
    updated_at: t,
  }
}

describe('classify', () => {
  it('rule 4: no verdict and recent activity is active', () => {
    const c = classify(snap(), opts)
    assert.equal(c.status, 'active')
    assert.equal(c.rule, 'age')
  })

  it('rule 4: no verdict and nothing changed for more than stale_days is stale', () => {
    const c = classify(snap({lastModified: NOW.getTime() - 31 * DAY}), opts)
    assert.equal(c.status, 'stale')
    assert.match(c.reason, /stale after 30d/)
    assert.equal(classify(snap({lastModified: NOW.getTime() - 29 * DAY}), opts).status, 'active')
    assert.equal(classify(snap({lastModified: NOW.getTime() - 31 * DAY}), {...opts, staleDays: 60}).status, 'active')
  })

  it('rule 3: newest report with gates_passed true is success, naming the file and field', () => {
    const c = classify(snap({reports: [report({final_nrmse: 0.05, gates_passed: true}, 2)]}), opts)
    assert.equal(c.status, 'success')
    assert.equal(c.field, 'gates_passed')
    assert.equal(c.source, 'reports/r.json')
  })

  it('rule 3: gates_passed false or a non-empty errors/error field is failed', () => {
    assert.equal(classify(snap({reports: [report({gates_passed: false}, 2)]}), opts).status, 'failed')
    const withErrors = classify(snap({reports: [report({errors: ['diverged'], gates_passed: true}, 2)]}), opts)
    assert.equal(withErrors.status, 'failed')
    assert.equal(withErrors.field, 'errors')
    assert.equal(classify(snap({reports: [report({error: 'CUDA OOM'}, 2)]}), opts).status, 'failed')
    assert.equal(classify(snap({reports: [report({errors: [], gates_passed: true}, 2)]}), opts).status, 'success')
  })

  it('rule 3: the newest report wins, by its own created_at over file mtime', () => {
    const older = report({created_at: '2025-02-01T00:00:00Z', gates_passed: true}, 0, 'a.json') // file touched today
    const newer = report({created_at: '2025-02-20T00:00:00Z', gates_passed: false}, 5, 'b.json')
    const s = snap({reports: [older, newer].sort((x, y) => y.time - x.time)})
    const c = classify(s, opts)
    assert.equal(c.status, 'failed')
    assert.equal(c.source, 'reports/b.json')
  })

  it('an invalid report is never a verdict', () => {
    const bad = report('{not json', 0, 'bad.json')
    assert.ok(bad.error)
    const c = classify(snap({reports: [bad, report({gates_passed: true}, 3)]}), opts)
    assert.equal(c.status, 'success')
    assert.equal(classify(snap({lastModified: NOW.getTime() - 40 * DAY, reports: [bad]}), opts).status, 'stale')
  })

  it('a report with neither gates_passed nor errors gives no verdict', () => {
    assert.equal(classify(snap({reports: [report({final_nrmse: 0.2}, 1)]}), opts).rule, 'age')
  })

  it('rule 3: a failed run newer than the newest report makes it failed, with stage and exit code', () => {
    const c = classify(snap({reports: [report({gates_passed: true}, 5)], runs: [run('failed', 1)]}), opts)
    assert.equal(c.status, 'failed')
    assert.match(c.reason, /train exited with code 3/)
    // an older failed run does not override a newer passing report
    assert.equal(
      classify(snap({reports: [report({gates_passed: true}, 1)], runs: [run('failed', 5)]}), opts).status,
      'success',
    )
  })

  it('interrupted and cancelled runs are not verdicts', () => {
    assert.equal(classify(snap({runs: [run('interrupted', 1)]}), opts).rule, 'age')
    assert.equal(classify(snap({runs: [run('cancelled', 1)]}), opts).rule, 'age')
  })

  it('rule 2: a Status line with ✓/✗ in notes.md beats reports', () => {
    const s = snap({notesText: '\n'.repeat(11) + 'Status: ✗ diverged', reports: [report({gates_passed: true}, 1)]})
    const c = classify(s, opts)
    assert.equal(c.status, 'failed')
    assert.equal(c.source, 'notes.md')
    assert.match(c.reason, /line 12/)
  })

  it('rule 2: metadata.json status beats notes.md and reports', () => {
    const s = snap({
      metadata: {status: 'success'},
      notesText: '# x\n\nResult: ✗',
      reports: [report({gates_passed: false}, 1)],
    })
    const c = classify(s, opts)
    assert.equal(c.status, 'success')
    assert.equal(c.source, 'metadata.json')
    // a status that is not a verdict is ignored
    assert.equal(
      classify(snap({metadata: {status: 'wip'}, reports: [report({gates_passed: false}, 1)]}), opts).status,
      'failed',
    )
  })

  it("rule 1: a live run beats everything, even a person's verdict", () => {
    const s = snap({lastModified: NOW.getTime() - 90 * DAY, metadata: {status: 'failed'}, runs: [run('running', 0)]})
    const c = classify(s, opts)
    assert.equal(c.status, 'active')
    assert.equal(c.rule, 'live-run')
    assert.equal(classify(snap({runs: [run('queued', 0)]}), opts).rule, 'live-run')
  })
})

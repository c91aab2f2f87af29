import assert from 'node:assert/strict'

import {renderGraphView} from '../../src/graph/show-render.js'
import type {GraphView, NodeRow} from '../../src/graph/show.js'
import {renderTable} from '../../src/lib/table.js'
import {formatDuration} from '../../src/lib/time.js'

// renderGraphView builds its table in one pass; these are the bytes lib/table.ts's renderTable makes of the same rows.
describe("graph show's table: the same bytes as renderTable", () => {
  const row = (id: string, fields: Partial<NodeRow> = {}): NodeRow => ({
    action: 'train',
    depends_on: [],
    duration_s: null,
    experiment: null,
    id,
    run: null,
    runnable: false,
    status: 'not_started',
    verdict: null,
    why: null,
    ...fields,
  })
  const nodes = [
    row('a-very-long-node-id', {duration_s: 3725.4, experiment: 'exp/variant', run: 'r1', status: 'completed'}),
    row('tabs', {why: 'failed: reason\twith\ttabs — exp graph reset tabs', status: 'failed'}),
    row('lines', {why: 'interrupted: one\n  two\r\nthree   — exp graph reset lines', status: 'interrupted'}),
    row('trailing', {why: 'ends in spaces   ', verdict: 'passed'}),
    row('empty', {experiment: '', run: '', why: ''}),
    row('id with  spaces', {action: 'eval', runnable: true}),
    row('ünïcødé', {duration_s: 59.6, why: 'waits for ü (in_progress)'}),
  ]
  const view: GraphView = {
    counts: {completed: 1, failed: 1, interrupted: 1, not_started: 4},
    file: 'work_graph.json',
    next: 'id with  spaces',
    nodes,
    updated: [],
    updated_utc: 1,
    version: 7,
  }

  it('matches renderTable cell for cell, then the summary line', () => {
    const table = renderTable(
      ['node', 'action', 'status', 'experiment', 'run', 'duration', 'verdict', 'why'],
      nodes.map((n) => [
        n.id,
        n.action,
        n.runnable ? 'runnable' : n.status,
        n.experiment,
        n.run,
        n.duration_s === null ? null : formatDuration(n.duration_s * 1000),
        n.verdict,
        n.why,
      ]),
    )
    const summary =
      'work_graph.json version 7: 7 nodes (1 completed, 1 failed, 1 interrupted, 4 not_started); next: id with  spaces.'
    assert.equal(renderGraphView(view), `${table}\n\n${summary}`)
  })

  it('an empty graph is the header alone', () => {
    const empty = {...view, counts: {}, next: null, nodes: []}
    assert.equal(
      renderGraphView(empty),
      'NODE  ACTION  STATUS  EXPERIMENT  RUN  DURATION  VERDICT  WHY\n\nwork_graph.json version 7: 0 nodes ().',
    )
  })
})

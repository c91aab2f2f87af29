import assert from 'node:assert/strict'

import {exp, inProcess, makeExperiment, removeDir, requireTool, tempWorkspace, writeTree} from '../support/exp.js'
import {expOnTerminal, ptyAvailable} from '../support/pty.js'

const ESCAPE = /\u001B\[/

/** A run record as exp writes it (only what exp runs and list read). */
function runRecord(name: string, runId: string, state: 'completed' | 'failed', reason?: string) {
  const stage = (n: string, s: string, extra: object = {}) => ({
    command: ['python3', `${n}.py`],
    cwd: '.',
    ended_at: '2026-01-05T10:02:00Z',
    exit_code: s === 'completed' ? 0 : 1,
    log: `runs/${runId}/${n}.log`,
    name: n,
    started_at: '2026-01-05T10:00:00Z',
    state: s,
    ...extra,
  })
  const stages =
    state === 'completed'
      ? [stage('train', 'completed'), stage('evaluate', 'completed')]
      : [
          stage('train', 'failed', {reason}),
          {
            command: ['python3', 'evaluate.py'],
            cwd: '.',
            ended_at: '2026-01-05T10:02:00Z',
            log: `runs/${runId}/evaluate.log`,
            name: 'evaluate',
            reason: 'train failed',
            state: 'cancelled',
          },
        ]
  return {
    backend: 'local',
    created_at: '2026-01-05T10:00:00Z',
    experiment: name,
    run_id: runId,
    schema: 1,
    stages,
    state,
    updated_at: '2026-01-05T10:02:00Z',
  }
}

/**
 * Tables fit the terminal (issue 20, finding 3): COLUMNS=80 → no line over 80 characters in list, runs and
 * leaderboard; --wide and piped output keep everything; colour only on a terminal and never with NO_COLOR.
 */
describe('tables fit the terminal', function () {
  this.timeout(60_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let ws: string
  const long =
    'the evaluation diverged after the learning-rate warm-up; the latent dimension of 48 was too large for 32 samples'

  before(async () => {
    ws = await tempWorkspace()
    const names = [
      '2026-01-05-golden-baseline-with-a-long-name',
      '2026-01-05-wide-latent-dimension-48',
      '2026-01-05-tiny-latent-dimension-2',
      '2026-01-06-never-launched-idea',
    ]
    await makeExperiment(ws, names[0], {
      'reports/20260105-100000-aaaa.json': {
        final_nrmse: 0.027003880441965354,
        gates_passed: true,
        max_nrmse: 0.0505912,
        train_loss: 0.000397,
      },
      'runs/20260105-100000-aaaa/run.json': runRecord(names[0], '20260105-100000-aaaa', 'completed'),
    })
    await makeExperiment(ws, names[1], {
      'reports/20260105-100100-bbbb.json': {final_nrmse: 0.039190123, gates_passed: true},
      'runs/20260105-100100-bbbb/run.json': runRecord(names[1], '20260105-100100-bbbb', 'completed'),
    })
    await makeExperiment(ws, names[2], {
      'runs/20260105-100200-cccc/run.json': runRecord(names[2], '20260105-100200-cccc', 'failed', long),
    })
    await makeExperiment(ws, names[3])
    for (const name of names.slice(0, 2)) {
      const r = await exp(['promote', name, '--nrmse-threshold', '0.1', '--auto-promote'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    await writeTree(ws, {'notes.txt': 'scratch'})
  })
  after(() => removeDir(ws))

  const commands = [['list'], ['runs'], ['leaderboard']]

  it('COLUMNS=80: no line of list, runs or leaderboard is longer than 80 characters, and none has escape codes', async () => {
    for (const args of commands) {
      const r = await exp(args, {cwd: ws, env: {COLUMNS: '80'}})
      assert.equal(r.code, 0, r.stderr)
      const lines = r.stdout.split('\n')
      const over = lines.filter((l) => [...l].length > 80)
      assert.deepEqual(over, [], `exp ${args.join(' ')}:\n${r.stdout}`)
      assert.ok(
        lines.some((l) => l.includes('…')),
        `exp ${args.join(' ')} cut something:\n${r.stdout}`,
      )
      assert.doesNotMatch(r.stdout, ESCAPE)
    }
  })

  it('piped: unlimited width but reasons ≤ 100 characters; --wide cuts nothing; numbers have 4 significant digits in tables, full precision in --json', async () => {
    for (const args of [['list'], ['list', '--wide']]) {
      const wide = args.includes('--wide')
      const r = await exp(args, {cwd: ws, env: wide ? {COLUMNS: '80'} : {}})
      // piped: the width is unlimited, but a reason is one line of at most 100 characters unless --wide
      const reasons = r.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.slice(l.search(/(experiments\/|run |no verdict)/)))
        .filter((l) => l.length > 0)
      for (const reason of reasons) assert.ok(wide || reason.length <= 100, reason)
      assert.equal(r.stdout.includes(long), wide, r.stdout)
      assert.equal(r.stdout.includes('…'), !wide, r.stdout)
      assert.match(r.stdout, /2026-01-05-golden-baseline-with-a-long-name\s.*\s0\.027\s/)
      assert.match(r.stdout, /2026-01-05-wide-latent-dimension-48\s.*\s0\.03919\s/)
    }
    const runs = await exp(['runs', '--wide'], {cwd: ws, env: {COLUMNS: '80'}})
    assert.ok(runs.stdout.includes(long), runs.stdout)
    assert.match(runs.stdout, / train\(1\) evaluate:skipped /)
    const board = await exp(['leaderboard', '--wide'], {cwd: ws, env: {COLUMNS: '80'}})
    assert.match(board.stdout, /MAX_NRMSE/)
    assert.match(board.stdout, /0\.05059/)
    const json = JSON.parse((await exp(['list', '--json'], {cwd: ws, env: {COLUMNS: '80'}})).stdout)
    assert.equal(
      json.experiments.find((e: any) => e.slug === 'golden-baseline-with-a-long-name').metric.value,
      0.027003880441965354,
    )
  })

  it('on a terminal statuses are coloured (success green, failed red, active yellow); NO_COLOR turns colour off', async function () {
    requireTool(this, await ptyAvailable(), 'util-linux script (a pseudo-terminal) is not installed')
    const coloured = await expOnTerminal(['list'], {cwd: ws, env: {COLUMNS: '200'}})
    assert.equal(coloured.code, 0, coloured.screen)
    assert.ok(coloured.screen.includes('\u001B[32msuccess'), JSON.stringify(coloured.screen))
    assert.ok(coloured.screen.includes('\u001B[31mfailed'), JSON.stringify(coloured.screen))
    assert.ok(coloured.screen.includes('\u001B[33mactive (idle)'), JSON.stringify(coloured.screen))
    const plain = await expOnTerminal(['list'], {cwd: ws, env: {COLUMNS: '200', NO_COLOR: '1'}})
    assert.equal(plain.code, 0, plain.screen)
    assert.match(plain.screen, /success/)
    assert.doesNotMatch(plain.screen, ESCAPE)
  })
})

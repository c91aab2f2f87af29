import assert from 'node:assert/strict'

import {z} from 'zod'

import {surelyValidRun} from '../../src/records/run-check.js'
import {runSchemaOf} from '../../src/records/run-schema.js'

/**
 * records/run-check.ts, the check that spares writing and reading a run record zod: whenever it says "surely
 * valid", the zod schema agrees — over valid local and SLURM records and thousands of mutations of them (a field
 * removed, or set to a value of another type) — and it does say so for the records exp writes.
 */
const schema = runSchemaOf(z)
const zodAccepts = (v: unknown) => schema.safeParse(v).success

const STAGE = {
  command: ['python3', 'train.py', '--config', 'config.yaml'],
  cwd: '/w/experiments/x',
  log: 'runs/r1/train.log',
  name: 'train',
  state: 'completed',
  started_at: '2025-01-22T10:15:00.000Z',
  ended_at: '2025-01-22T10:16:00.000Z',
  exit_code: 0,
  signal: null,
  pid: 1234,
  pid_start: '5678',
  reason: 'ok',
  checkpoint: {path: 'checkpoints/r1', bytes: 3},
}
const LOCAL = {
  schema: 1,
  backend: 'local',
  run_id: 'r1',
  experiment: 'x',
  created_at: '2025-01-22T10:15:00.000Z',
  updated_at: '2025-01-22T10:16:00.000Z',
  state: 'completed',
  stages: [STAGE, {...STAGE, name: 'evaluate:rollout', state: 'queued', exit_code: undefined}],
  supervisor_pid: 1,
  supervisor_start: '2',
  boot_id: 'b',
  host: 'h',
  report: 'reports/r1.json',
  reports: {rollout: 'reports/r1/rollout.json'},
  checkpoint: 'checkpoints/r1',
  config_sha256: 'ab',
  not_started: false,
  backend_data: {},
  extra: {kept: true},
}
const SLURM = {
  ...LOCAL,
  backend: 'slurm',
  backend_data: {jobs: {train: {script: 'runs/r1/train.sbatch', id: '12_3', cluster: 'c'}, evaluate: {script: 's'}}},
}

/** The values a field is set to in the mutations: one of each JSON type and a few edge cases. */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  1,
  -1,
  1.5,
  Number.NaN,
  2 ** 60,
  '',
  'x',
  'train',
  'local',
  'slurm',
  'vast',
  'completed',
  true,
  false,
  [],
  ['x'],
  [1],
  {},
  {a: 1},
  {script: 1},
]

/** Every path to a value inside `v` (object keys and array indices). */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v !== 'object' || v === null) return [at]
  const inner = Object.entries(v).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))
  return [...(at.length > 0 ? [at] : []), ...inner]
}

function mutate(v: unknown, at: Array<string | number>, value: unknown, remove: boolean): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>
  let parent = copy
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
  const last = at.at(-1)!
  if (remove) delete parent[last]
  else parent[last] = value
  return copy
}

describe('run records: the quick check never accepts what the schema refuses', () => {
  it('the records exp writes (local, SLURM) are surely valid, and zod agrees', () => {
    for (const record of [LOCAL, SLURM, {...LOCAL, backend_data: undefined}, {...SLURM, backend_data: {}}]) {
      assert.equal(surelyValidRun(record), true)
      assert.equal(zodAccepts(record), true)
    }
  })

  it('a vast record, or anything not an object, is left to zod', () => {
    assert.equal(surelyValidRun({...LOCAL, backend: 'vast', backend_data: {}}), false)
    for (const v of [null, [], 'x', 1, Object.create(null)]) assert.equal(surelyValidRun(v), false)
  })

  it('every mutation it accepts, zod accepts (a field removed, or set to a value of each type)', () => {
    let checked = 0
    let refused = 0
    for (const base of [LOCAL, SLURM]) {
      for (const at of paths(base)) {
        for (const [i, value] of [...VALUES, 'removed'].entries()) {
          const mutated = mutate(base, at, value, i === VALUES.length)
          checked++
          if (surelyValidRun(mutated))
            assert.equal(zodAccepts(mutated), true, `${at.join('.')} = ${JSON.stringify(value)}`)
          else refused++
        }
      }
    }
    assert.ok(checked > 2000, `${checked} mutations`)
    assert.ok(refused > 500, `${refused} refused`) // the check has teeth
  })
})

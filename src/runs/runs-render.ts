import {outputStyle} from '../lib/format.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {formatDuration} from '../lib/time.js'
import type {RunsResult} from './list.js'

type RunRow = RunsResult['runs'][number]

/** `exp runs`' table: a variant column for sweeps, a cost column where a backend bills. */
export function renderRunsTable(runs: RunRow[], wide: boolean | undefined): string {
  const withCost = runs.some((r) => r.cost !== null)
  const withVariant = runs.some((r) => r.variant !== null)
  const headers = [
    'run',
    'experiment',
    ...(withVariant ? ['variant'] : []),
    'backend',
    'state',
    'stages',
    'duration',
    ...(withCost ? ['cost'] : []),
    'reason',
  ]
  const rows = runs.map((r) => [
    r.run_id,
    r.experiment,
    ...(withVariant ? [r.variant ?? undefined] : []),
    r.backend,
    r.state,
    stagesCell(r),
    r.duration_ms === null ? undefined : formatDuration(r.duration_ms),
    ...(withCost ? [r.cost === null ? undefined : `$${formatNumber(r.cost)}`] : []),
    r.reason ?? undefined,
  ])
  return renderTable(headers, rows, {...outputStyle({wide}), shrink: ['reason', 'stages'], shrinkStart: ['experiment']})
}

/** The total cost of a sweep's variants' runs, when a backend billed any. */
export function variantsCostLine(runs: RunRow[]): string | undefined {
  const costs = runs.filter((r) => r.variant !== null && r.cost !== null)
  if (costs.length > 0)
    return `Cost of the variants' runs: $${formatNumber(costs.reduce((sum, r) => sum + r.cost!, 0))}`
  return undefined
}

/** Each stage with its state where it differs from the run's (a completed run: `train evaluate`), exit codes that are not 0. */
function stagesCell(r: RunRow): string {
  const code = (c: number | null | undefined) => (c === undefined || c === null || c === 0 ? '' : `(${c})`)
  return r.stages
    .map((s) => `${s.name}${s.state === r.state ? '' : `:${s.state.replace(' ', '-')}`}${code(s.exit_code)}`)
    .join(' ')
}

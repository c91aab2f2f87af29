import {Args} from '@oclif/core'

import {runsFlags} from '../command-flags/runs.js'
import {BaseCommand} from '../base-command.js'
import {outputStyle} from '../lib/format.js'
import {formatNumber, renderTable} from '../lib/table.js'
import {formatDuration} from '../lib/time.js'
import {listRuns, type RunsResult} from '../runs/list.js'

export default class Runs extends BaseCommand<typeof Runs> {
  static args = {
    name: Args.string({description: 'Only this experiment\'s runs (a sweep: all its variants\', or EXP/VARIANT: one variant\'s; default: every experiment in experiments/).'}),
  }

  static flags = runsFlags

  static examples = ['<%= config.bin %> runs', '<%= config.bin %> runs test-64dim', '<%= config.bin %> runs test-64dim --json']

  static summary = 'Runs with their backend, state, stages, duration and why they ended as they did.'

  async run(): Promise<RunsResult> {
    const ws = await this.workspace()
    const result = await listRuns(ws, {advance: this.flags.advance, name: this.args.name, now: this.clock})
    if (result.runs.length === 0) {
      this.log(this.args.name ? `No runs yet. Start one with: exp launch ${this.args.name}` : 'No runs yet. Start one with: exp launch NAME')
      return result
    }
    const withCost = result.runs.some((r) => r.cost !== null)
    const withVariant = result.runs.some((r) => r.variant !== null)
    const headers = ['run', 'experiment', ...(withVariant ? ['variant'] : []), 'backend', 'state', 'stages', 'duration', ...(withCost ? ['cost'] : []), 'reason']
    const rows = result.runs.map((r) => [
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
    this.log(renderTable(headers, rows, {...outputStyle({wide: this.flags.wide}), shrink: ['reason', 'stages'], shrinkStart: ['experiment']}))
    for (const r of result.runs) if (r.notice && r.notice !== r.reason) this.note(`Note: ${r.run_id}: ${r.notice}`)
    const costs = result.runs.filter((r) => r.variant !== null && r.cost !== null)
    if (costs.length > 0) this.log(`Cost of the variants' runs: $${formatNumber(costs.reduce((sum, r) => sum + r.cost!, 0))}`)
    return result
  }
}

/** Each stage with its state where it differs from the run's (a completed run: `train evaluate`), exit codes that are not 0. */
function stagesCell(r: RunsResult['runs'][number]): string {
  const code = (c: number | null | undefined) => (c === undefined || c === null || c === 0 ? '' : `(${c})`)
  return r.stages.map((s) => `${s.name}${s.state === r.state ? '' : `:${s.state.replace(' ', '-')}`}${code(s.exit_code)}`).join(' ')
}

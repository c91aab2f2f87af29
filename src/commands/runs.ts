import {Args} from '@oclif/core'

import {runsFlags} from '../command-flags/runs.js'
import {BaseCommand} from '../base-command.js'
import {listRuns, type RunsResult} from '../runs/list.js'
import {renderRunsTable, variantsCostLine} from '../runs/runs-render.js'

export default class Runs extends BaseCommand<typeof Runs> {
  static args = {
    name: Args.string({
      description:
        "Only this experiment's runs (a sweep: all its variants', or EXP/VARIANT: one variant's; default: every experiment in experiments/).",
    }),
  }

  static flags = runsFlags

  static examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs test-64dim',
    '<%= config.bin %> runs test-64dim --json',
  ]

  static summary = 'Runs with their backend, state, stages, duration and why they ended as they did.'

  async run(): Promise<RunsResult> {
    const ws = await this.workspace()
    const result = await listRuns(ws, {advance: this.flags.advance, name: this.args.name, now: this.clock})
    if (result.runs.length === 0) {
      this.log(
        this.args.name
          ? `No runs yet. Start one with: exp launch ${this.args.name}`
          : 'No runs yet. Start one with: exp launch NAME',
      )
      return result
    }
    this.log(renderRunsTable(result.runs, this.flags.wide))
    for (const r of result.runs) if (r.notice && r.notice !== r.reason) this.note(`Note: ${r.run_id}: ${r.notice}`)
    const cost = variantsCostLine(result.runs)
    if (cost) this.log(cost)
    return result
  }
}

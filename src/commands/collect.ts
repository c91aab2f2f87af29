import {BaseCommand} from '../base-command.js'
import {experimentArg, runFlag} from '../flags.js'
import {collectRun, type CollectRunResult} from '../runs/control.js'
import {relativeToRoot} from '../workspace/workspace.js'

export default class Collect extends BaseCommand<typeof Collect> {
  static args = {
    name: experimentArg({required: true}),
  }

  static examples = [
    '<%= config.bin %> collect test-64dim',
    '<%= config.bin %> collect test-64dim --run 20250122-101500-3f2a --json',
  ]

  static flags = {
    run: runFlag(),
  }

  static summary = "Bring a run's results home (report, logs, checkpoints) through its backend."

  async run(): Promise<CollectRunResult> {
    const ws = await this.workspace()
    const result = await collectRun(ws, {
      log: (line) => !this.jsonEnabled() && this.log(line),
      name: this.args.name,
      now: this.clock,
      run: this.flags.run,
    })
    this.log(result.message)
    for (const file of result.files) this.log(`  ${relativeToRoot(ws, file)}`)
    return result
  }
}

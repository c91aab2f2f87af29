import {logsFlags} from '../command-flags/logs.js'
import {BaseCommand} from '../base-command.js'
import {EXPERIMENT_HELP, experimentArg} from '../flags.js'
import {withStopSignals} from '../launch/signals.js'
import {followLogs, type LogStage, type LogsResult, readLogs} from '../runs/logs.js'

export default class Logs extends BaseCommand<typeof Logs> {
  static args = {
    name: experimentArg({description: `${EXPERIMENT_HELP} A sweep's variant: EXP/VARIANT.`, required: true}),
  }

  static examples = [
    '<%= config.bin %> logs test-64dim',
    '<%= config.bin %> logs test-64dim --stage evaluate',
    '<%= config.bin %> logs test-64dim --follow',
    '<%= config.bin %> logs test-64dim --stage launch --run 20250122-101500-3f2a',
  ]

  static flags = logsFlags

  static summary = "Show a run's logs: the engines' output, or exp's launch log."

  async run(): Promise<LogsResult> {
    const ws = await this.workspace()
    const options = {
      name: this.args.name,
      now: this.clock,
      run: this.flags.run,
      stage: this.flags.stage as LogStage | undefined,
    }
    if (this.flags.follow && !this.jsonEnabled() && (await readLogs(ws, options)).remote) {
      // a live vast run: its instance's output, polled at the backend's interval (the stage logs come home at collection)
      const {followRemote} = await import('../runs/remote-logs.js')
      await withStopSignals((signal) => followRemote(ws, {...options, signal}, (text) => process.stdout.write(text)))
    }
    if (this.flags.follow && !this.jsonEnabled()) {
      const {result} = await withStopSignals((signal) =>
        followLogs(ws, {...options, signal}, (text) => process.stdout.write(text)),
      )
      this.note(`run ${result.run_id}: ${result.state}`)
      return result
    }
    const result = await readLogs(ws, options)
    if (result.remote && !this.jsonEnabled()) {
      this.log(`==> vast instance ${result.remote.instance_id} (live; vastai logs --tail) <==`)
      this.log(result.remote.text ?? `(no output yet: ${result.remote.error})`)
    }
    // under --json the logs' text is in the document (logs[].content), never printed beside it
    for (const log of this.jsonEnabled() ? [] : result.logs) {
      if (result.logs.length > 1) this.log(`==> ${log.path} <==`)
      if (!log.exists && log.skipped) this.log(`(skipped: ${log.skipped}; ${log.stage} never ran)`)
      else if (!log.exists && log.not_started) this.log(`(not started: ${log.not_started})`)
      else if (!log.exists) this.log(`(no output yet: ${log.path} does not exist)`)
      else process.stdout.write(log.content!.endsWith('\n') || log.content === '' ? log.content! : `${log.content}\n`)
    }
    return result
  }
}

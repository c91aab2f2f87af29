import {BaseCommand} from '../base-command.js'
import {experimentArg} from '../flags.js'
import {backendFlags, launchFlags} from '../launch-flags.js'
import {launchTarget} from '../launch/dispatch.js'
import {type LaunchResult, type StageChoice} from '../launch/launch.js'
import {renderLaunchResult} from '../launch/render.js'
import type {SweepLaunchResult} from '../sweeps/launch.js'
import {isInteractive} from '../lib/terminal.js'
import type {BackendName} from '../runs/record.js'

export default class Launch extends BaseCommand<typeof Launch> {
  static args = {
    name: experimentArg({required: true}),
  }

  static description = `Runs the training engine, then the evaluation engine if training succeeded, as argument lists (never a shell) in
the experiment directory. Engines come from exp.yaml "engines", or exp's embedded Burgers engine. Every run is
recorded in runs/<run-id>/ (run.json, launch.log, train.log, evaluate.log); the report lands in reports/<run-id>.json.
Ctrl-C stops the engines' whole process group, marks the run interrupted and exits 130.`

  static examples = [
    '<%= config.bin %> launch test-64dim',
    '<%= config.bin %> launch test-64dim --detach',
    '<%= config.bin %> launch test-64dim --stage evaluate',
    '<%= config.bin %> launch test-64dim --stage evaluate --eval rollout',
    '<%= config.bin %> launch test-64dim --dry-run',
    '<%= config.bin %> launch test-64dim --slurm --partition gpu --time 02:00:00 --gpus 1',
    '<%= config.bin %> launch test-64dim --vast --gpu RTX_4090 --max-price 0.6',
  ]

  static flags = launchFlags

  static summary = "Run an experiment's training and evaluation engines and record the run."

  async run(): Promise<LaunchResult | SweepLaunchResult> {
    const ws = await this.workspace()
    const f = this.flags
    const chatty = !this.jsonEnabled()
    const result = await launchTarget(ws, {
      backend: (f.slurm ? 'slurm' : f.vast ? 'vast' : f.backend) as BackendName | undefined,
      detach: f.detach,
      dryRun: f['dry-run'],
      evaluation: f.eval,
      flags: backendFlags(f),
      force: f.force,
      jobs: f.jobs,
      log: (line) => chatty && this.log(line),
      name: this.args.name,
      now: this.clock,
      only: f.only,
      stage: f.stage as StageChoice,
      stream: chatty && isInteractive() ? (chunk) => process.stdout.write(chunk) : undefined,
    })
    const output = renderLaunchResult(result)
    if (output.exitCode !== undefined) process.exitCode = output.exitCode
    if (chatty) for (const line of output.out) this.log(line)
    if (chatty) for (const line of output.err) this.logToStderr(line)
    return result
  }
}

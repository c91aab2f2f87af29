import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {EXIT} from '../errors.js'
import {dryRun, experimentArg, numberFlag} from '../flags.js'
import {displayCommand} from '../launch/engines.js'
import {BACKEND_NAMES, launchExperiment, type LaunchResult, type StageChoice} from '../launch/launch.js'
import {withStopSignals} from '../launch/signals.js'
import {isSweepLaunch, launchSweep, type SweepLaunchResult} from '../sweeps/launch.js'
import {renderSweepLaunch} from '../sweeps/launch-render.js'
import {formatNumber} from '../lib/table.js'
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

  static flags = {
    backend: Flags.string({description: 'Where to run (default: backends.default in exp.yaml, else local).', exclusive: ['slurm', 'vast'], options: [...BACKEND_NAMES]}),
    detach: Flags.boolean({description: 'Start the run in the background and return at once with its id.'}),
    'dry-run': dryRun,
    force: Flags.boolean({description: 'Launch even though the experiment has a live run (a sweep: relaunch every variant).'}),
    jobs: Flags.integer({description: 'A sweep: at most this many variants at once (local engines, the SLURM array throttle, vast instances).', min: 1}),
    only: Flags.string({description: 'A sweep: launch only this variant (repeatable).', multiple: true}),
    slurm: Flags.boolean({description: 'Shortcut for --backend slurm.', exclusive: ['backend', 'vast']}),
    eval: Flags.string({description: 'With --stage evaluate: re-run only this evaluation of the suite (exp.yaml engines.evaluate as a map) on the last completed train\'s checkpoint.'}),
    stage: Flags.string({default: 'all', description: 'Which stages: all (train, then evaluate), train, or evaluate (the last completed train\'s checkpoint).', options: ['all', 'train', 'evaluate']}),
    vast: Flags.boolean({description: 'Shortcut for --backend vast.', exclusive: ['backend', 'slurm']}),
    // slurm
    account: Flags.string({description: 'SLURM account to charge.', helpGroup: 'SLURM'}),
    cpus: Flags.integer({description: 'CPUs per task.', helpGroup: 'SLURM', min: 1}),
    gpus: Flags.integer({description: 'GPUs for the job.', helpGroup: 'SLURM', min: 0}),
    mem: Flags.string({description: 'Memory, e.g. 32G.', helpGroup: 'SLURM'}),
    partition: Flags.string({description: 'SLURM partition.', helpGroup: 'SLURM'}),
    'sbatch-arg': Flags.string({description: 'Extra sbatch argument, e.g. --sbatch-arg=--exclusive (repeatable; added to backends.slurm.sbatch_args).', helpGroup: 'SLURM', multiple: true}),
    time: Flags.string({description: 'Time limit, e.g. 02:00:00.', helpGroup: 'SLURM'}),
    // vast
    'auto-shutdown': Flags.boolean({allowNo: true, description: 'Destroy the instance when the run ends (default on).', helpGroup: 'VAST'}),
    disk: numberFlag({description: 'Disk in GB.', helpGroup: 'VAST'}),
    gpu: Flags.string({description: 'GPU model, e.g. RTX_4090.', helpGroup: 'VAST'}),
    image: Flags.string({description: 'Docker image for the instance.', helpGroup: 'VAST'}),
    'max-price': numberFlag({description: 'Highest price in $/hour.', helpGroup: 'VAST'}),
    'num-gpus': Flags.integer({description: 'GPUs per instance.', helpGroup: 'VAST', min: 1}),
    query: Flags.string({description: 'Extra vast.ai offer query.', helpGroup: 'VAST'}),
  }

  static summary = 'Run an experiment\'s training and evaluation engines and record the run.'

  async run(): Promise<LaunchResult | SweepLaunchResult> {
    const ws = await this.workspace()
    const f = this.flags
    const backend = (f.slurm ? 'slurm' : f.vast ? 'vast' : f.backend) as BackendName | undefined
    const chatty = !this.jsonEnabled()
    const sweep = await isSweepLaunch(ws, this.args.name)
    const stream = chatty && isInteractive() && !sweep
    const launch = (signal?: AbortSignal): Promise<LaunchResult | SweepLaunchResult> =>
      (sweep ? launchSweep : launchExperiment)(ws, {
        backend,
        detach: f.detach,
        dryRun: f['dry-run'],
        flags: {
          slurm: {account: f.account, cpus: f.cpus, gpus: f.gpus, mem: f.mem, partition: f.partition, sbatch_args: f['sbatch-arg'], time: f.time},
          vast: {auto_shutdown: f['auto-shutdown'], disk: f.disk, gpu: f.gpu, image: f.image, max_price: f['max-price'], num_gpus: f['num-gpus'], query: f.query},
        },
        force: f.force,
        io: {output: stream ? (chunk) => process.stdout.write(chunk) : undefined, signal},
        log: (line) => chatty && this.log(line),
        name: this.args.name,
        now: this.clock,
        evaluation: f.eval,
        jobs: f.jobs,
        only: f.only,
        stage: f.stage as StageChoice,
      })
    const foreground = !f.detach && !f['dry-run']
    const result = foreground ? (await withStopSignals((signal) => launch(signal))).result : await launch()
    if ('variants' in result) {
      if (chatty) for (const line of renderSweepLaunch(result)) this.log(line)
      if (result.interrupted) process.exitCode = EXIT.interrupted
      else if (result.variants.some((v) => v.error || v.state === 'failed')) process.exitCode = EXIT.failure
      return result
    }
    this.render(result)
    return result
  }

  private render(r: LaunchResult): void {
    const where = `run ${r.run_id} of ${r.experiment} on ${r.backend}`
    if (r.dry_run) {
      const wrote = r.backend === 'slurm' ? 'nothing was submitted; the batch scripts were written so you can read them' : 'nothing was started or written'
      this.log(`Dry run: ${wrote}. It would start ${where}:`)
      for (const s of r.stages) this.log(`  ${s.name}: ${displayCommand(s.argv)}`)
      this.log(`  working directory: ${r.stages[0]?.cwd}`)
      if (r.commands.some((c, i) => c.join('\0') !== r.stages[i]?.argv.join('\0'))) {
        this.log('  commands the backend would run:')
        for (const c of r.commands) this.log(`    ${displayCommand(c)}`)
      }
      this.log(r.backend === 'slurm' ? '  files written:' : '  files it would write:')
      for (const file of r.files) this.log(`    ${file}`)
      return
    }
    if (r.forced_over) this.note(`Warning: launched beside the live run ${r.forced_over} (--force).`)
    if (r.detached || r.record.state === 'queued' || r.record.state === 'running') {
      this.log(r.detached ? `Started ${where} in the background (supervisor pid ${r.record.supervisor_pid}).` : `Submitted ${where}: ${r.record.state}.`)
      this.log(`Follow it: exp watch ${r.experiment}  ·  exp logs ${r.experiment} --follow  ·  exp runs ${r.experiment}`)
      return
    }
    const took = durationOf(r)
    if (r.record.state === 'completed') {
      this.log(`Run ${r.run_id} completed${took}.`)
      if (r.verdict && r.report) {
        const metric = r.verdict.metric ? `${r.verdict.metric.name} ${typeof r.verdict.metric.value === 'number' ? formatNumber(r.verdict.metric.value) : String(r.verdict.metric.value)}, ` : ''
        const by = r.verdict.decided_by === 'exp' ? ' (decided by exp.yaml gates)' : ''
        this.log(`Report ${r.report}: ${metric}gates_passed ${String(r.verdict.gates_passed)}${by}.`)
      }
      this.log(`See: exp list  ·  exp show ${r.experiment}`)
    } else if (r.record.state === 'interrupted') {
      process.exitCode = EXIT.interrupted
      const stage = r.record.stages.find((s) => s.state === 'interrupted')
      if (!this.jsonEnabled()) this.logToStderr(`Interrupted: ${where} stopped${stage ? ` during ${stage.name}` : ''}; recorded as interrupted in ${r.run_dir}/run.json.`)
    } else {
      process.exitCode = EXIT.failure
      const f = r.failure
      const how = f ? `${f.stage} ${f.reason}${f.last_output ? ` (last output: ${f.last_output})` : ''}` : r.record.reason ?? r.record.state
      if (!this.jsonEnabled()) this.logToStderr(`Error: run ${r.run_id} ${r.record.state}: ${how}. Log: ${f ? f.log : `${r.run_dir}/launch.log`}`)
    }
  }
}

function durationOf(r: LaunchResult): string {
  const start = Date.parse(r.record.stages.find((s) => s.started_at)?.started_at ?? '')
  const end = Math.max(...r.record.stages.map((s) => Date.parse(s.ended_at ?? '')).filter((t) => !Number.isNaN(t)))
  return Number.isFinite(start) && Number.isFinite(end) ? ` in ${((end - start) / 1000).toFixed(1)}s` : ''
}

import {Flags} from '@oclif/core'

import {dryRun, numberFlag} from './flags.js'
import {BACKEND_NAMES} from './launch/launch.js'
import type {LaunchOptions} from './launch/launch.js'

/** `exp launch`'s flags (kept apart so the command stays parse → service → render). */
export const launchFlags = {
  backend: Flags.string({
    description: 'Where to run (default: backends.default in exp.yaml, else local).',
    exclusive: ['slurm', 'vast'],
    options: [...BACKEND_NAMES],
  }),
  detach: Flags.boolean({description: 'Start the run in the background and return at once with its id.'}),
  'dry-run': dryRun,
  force: Flags.boolean({
    description: 'Launch even though the experiment has a live run (a sweep: relaunch every variant).',
  }),
  jobs: Flags.integer({
    description:
      'A sweep: at most this many variants at once (local engines, the SLURM array throttle, vast instances).',
    min: 1,
  }),
  only: Flags.string({description: 'A sweep: launch only this variant (repeatable).', multiple: true}),
  slurm: Flags.boolean({description: 'Shortcut for --backend slurm.', exclusive: ['backend', 'vast']}),
  eval: Flags.string({
    description:
      "With --stage evaluate: re-run only this evaluation of the suite (exp.yaml engines.evaluate as a map) on the last completed train's checkpoint.",
  }),
  stage: Flags.string({
    default: 'all',
    description:
      "Which stages: all (train, then evaluate), train, or evaluate (the last completed train's checkpoint).",
    options: ['all', 'train', 'evaluate'],
  }),
  vast: Flags.boolean({description: 'Shortcut for --backend vast.', exclusive: ['backend', 'slurm']}),
  // slurm
  account: Flags.string({description: 'SLURM account to charge.', helpGroup: 'SLURM'}),
  cpus: Flags.integer({description: 'CPUs per task.', helpGroup: 'SLURM', min: 1}),
  gpus: Flags.integer({description: 'GPUs for the job.', helpGroup: 'SLURM', min: 0}),
  mem: Flags.string({description: 'Memory, e.g. 32G.', helpGroup: 'SLURM'}),
  partition: Flags.string({description: 'SLURM partition.', helpGroup: 'SLURM'}),
  'sbatch-arg': Flags.string({
    description:
      'Extra sbatch argument, e.g. --sbatch-arg=--exclusive (repeatable; added to backends.slurm.sbatch_args).',
    helpGroup: 'SLURM',
    multiple: true,
  }),
  time: Flags.string({description: 'Time limit, e.g. 02:00:00.', helpGroup: 'SLURM'}),
  // vast
  'auto-shutdown': Flags.boolean({
    allowNo: true,
    description: 'Destroy the instance when the run ends (default on).',
    helpGroup: 'VAST',
  }),
  disk: numberFlag({description: 'Disk in GB.', helpGroup: 'VAST'}),
  gpu: Flags.string({description: 'GPU model, e.g. RTX_4090.', helpGroup: 'VAST'}),
  image: Flags.string({description: 'Docker image for the instance.', helpGroup: 'VAST'}),
  'max-price': numberFlag({description: 'Highest price in $/hour.', helpGroup: 'VAST'}),
  'num-gpus': Flags.integer({description: 'GPUs per instance.', helpGroup: 'VAST', min: 1}),
  query: Flags.string({description: 'Extra vast.ai offer query.', helpGroup: 'VAST'}),
}

type Parsed = {[K in keyof typeof launchFlags]?: unknown}

/** The backend flags as the launch service takes them (flags.slurm / flags.vast). */
export function backendFlags(f: Parsed): LaunchOptions['flags'] {
  return {
    slurm: {
      account: f.account,
      cpus: f.cpus,
      gpus: f.gpus,
      mem: f.mem,
      partition: f.partition,
      sbatch_args: f['sbatch-arg'],
      time: f.time,
    },
    vast: {
      auto_shutdown: f['auto-shutdown'],
      disk: f.disk,
      gpu: f.gpu,
      image: f.image,
      max_price: f['max-price'],
      num_gpus: f['num-gpus'],
      query: f.query,
    },
  } as LaunchOptions['flags']
}

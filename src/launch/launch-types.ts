import type {LaunchIO} from '../backends/backend.js'
import type {Target} from '../experiments/resolve.js'
import type {Clock} from '../lib/time.js'
import type {BackendName, RunRecord, StageName} from '../runs/record.js'
import type {TrainEngine} from './engines.js'
import type {StageChoice, Verdict} from './launch-steps.js'

/** What a launch is asked to do (LaunchOptions) and what it did (LaunchResult): the launch service's contract. */
export interface LaunchOptions {
  name: string
  /** default: exp.yaml backends.default */
  backend?: BackendName
  stage?: StageChoice
  /** one evaluation of the suite (with stage evaluate): re-run it on the last completed train's checkpoint */
  evaluation?: string
  detach?: boolean
  dryRun?: boolean
  force?: boolean
  /**
   * backend options from flags, keyed by backend, with exp.yaml's key names (`partition`, `max_price`, …); only
   * the flags a person set. They override exp.yaml `backends.<name>`; `sbatch_args` add to it.
   */
  flags?: Partial<Record<BackendName, Record<string, unknown>>>
  now: Clock
  /** progress lines for a person */
  log: (line: string) => void
  io?: LaunchIO
  env?: NodeJS.ProcessEnv
  random?: () => string
  /** work-graph nodes: the engine the train stage runs (finetune: exp.yaml engines.finetune, else train's) */
  engine?: TrainEngine
  /** work-graph nodes: the input checkpoint (absolute): `{input_checkpoint}`, and what an evaluate-only run reads */
  inputCheckpoint?: string
  /** work-graph nodes on SLURM: jobs the first stage waits for (afterok) */
  afterJobs?: string[]
  /** record and prepare the run, but let the caller submit it (a sweep's SLURM job arrays) */
  prepareOnly?: boolean
  /** `name` already resolved by the caller (exp launch resolves it once to tell a sweep from an experiment) */
  target?: Target
}

export interface LaunchResult {
  experiment: string
  run_id: string
  backend: BackendName
  dry_run: boolean
  detached: boolean
  /** the run's state when launch returned (the final one for a foreground local run) */
  state: RunRecord['state']
  stages: Array<{name: StageName; argv: string[]; cwd: string; log: string}>
  /** the exact commands the backend runs (local: the stages; slurm: sbatch …) */
  commands: string[][]
  /** files written, or with --dry-run that would be written (workspace-relative) */
  files: string[]
  run_dir: string
  report?: string
  /** a live run this launch went ahead beside (--force) */
  forced_over?: string
  record: RunRecord
  /** when a stage failed: which, why, its log (workspace-relative) and the last line it printed */
  failure?: {stage: StageName; reason: string; log: string; last_output?: string}
  /** what the report says, when the run wrote one */
  verdict?: Verdict
}

import type {ExperimentSnapshot} from '../experiments/snapshot.js'
import type {Clock} from '../lib/time.js'
import type {BackendName, RunRecord, StageName} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'

/**
 * The launch interface every backend implements (local, slurm, vast). A backend runs stages and reports run
 * states; it never decides an experiment's status (classification does, from the run records).
 *
 *   prepare  → writes the run folder (scripts, run.json with stages `queued`) and describes what submit will do;
 *              with --dry-run nothing more happens.
 *   submit   → starts the prepared run (local: runs it, in the foreground unless detached; slurm: sbatch;
 *              vast: rent an instance) and returns the record as it then stands.
 *   refresh  → the current state of MANY runs at once: one squeue / one `vastai show instances` for all.
 *   cancel   → stops a live run and records `cancelled`.
 *   collect  → brings results home (vast: copy report, logs, checkpoints back and verify); a no-op where the
 *              run already writes into the experiment directory.
 */
export interface Backend {
  readonly name: BackendName
  prepare(request: LaunchRequest): Promise<PreparedRun>
  submit(prepared: PreparedRun, io: LaunchIO): Promise<RunRecord>
  refresh(runs: RunRef[], context: BackendContext): Promise<RunRecord[]>
  cancel(run: RunRef, context: BackendContext): Promise<RunRecord>
  collect(run: RunRef, context: BackendContext): Promise<CollectResult>
  /** has this finished run results still waiting to come home (vast: not collected yet)? Absent: never. */
  awaitsCollect?(record: RunRecord): boolean
}

/** A run record together with the experiment directory it lives in. */
export interface RunRef {
  record: RunRecord
  experimentDir: string
}

export interface BackendContext {
  ws: Workspace
  now: Clock
  /** progress lines for a person (on a terminal) or a log; never data */
  log: (line: string) => void
  /** environment for child processes (defaults to process.env) */
  env?: NodeJS.ProcessEnv
  /**
   * may refresh act on what it observes (vast: upload the payload, fetch the exit marker, destroy, rent again)?
   * Only commands that may spend money set it: exp watch, exp collect, the background worker, `exp runs
   * --advance`. Read-only commands (list, show, runs) leave it unset: they observe and record, nothing more.
   */
  advance?: boolean
}

/** One stage ready to run: its argument list with every placeholder expanded. */
export interface StagePlan {
  name: StageName
  argv: string[]
  cwd: string
  log: string
}

export interface LaunchRequest extends BackendContext {
  /** the experiment (or sweep variant) the run belongs to: its folder and its name */
  experiment: Pick<ExperimentSnapshot, 'dir' | 'name'>
  runId: string
  runDir: string
  stages: StagePlan[]
  /**
   * the engines' argument templates, placeholders unexpanded, for backends whose paths differ from this
   * machine's (vast: the instance's folders); expand them with `expandArgv` from launch/engines
   */
  templates: Record<string, string[]>
  /** the report path the evaluate stage writes (absolute) */
  report: string
  /** an evaluation suite: each evaluation's report (absolute), by evaluation name */
  reports?: Record<string, string>
  checkpointDir: string
  /** jobs the first stage waits for (SLURM afterok), for work-graph nodes submitted before their dependencies end */
  afterJobs?: string[]
  /** backend-specific options from flags merged over exp.yaml `backends.<name>` */
  options: Record<string, unknown>
  dryRun: boolean
  detach: boolean
  /** sha256 of the experiment's config.yaml as launched (recorded in run.json) */
  configSha256?: string
}

export interface PreparedRun {
  request: LaunchRequest
  record: RunRecord
  /** files the backend wrote or would write (absolute) */
  files: string[]
  /** the exact commands submit will run, one argument list each (shown by --dry-run) */
  commands: string[][]
}

export interface LaunchIO {
  /** stream a stage's output to the person at the terminal (lines already written to the stage log) */
  output?: (chunk: string) => void
  signal?: AbortSignal
}

export interface CollectResult {
  record: RunRecord
  /** files brought home (absolute) */
  files: string[]
  message: string
}

import type {LaunchOptions} from '../launch/launch.js'
import type {BackendName, RunState} from '../runs/record.js'

/** The sweep launch's options and result (src/sweeps/launch.ts), apart so its backend modules can name them. */
export interface SweepLaunchOptions extends LaunchOptions {
  /** only these variants (names inside the sweep) */
  only?: string[]
  /** at most this many variants at once (local: engines alive; SLURM: the array's %N; vast: instances); default 1 */
  jobs?: number
}

export interface SweepVariantResult {
  variant: string
  action: 'launch' | 'skip'
  why: string
  run_id?: string
  state?: RunState
  /** SLURM: the array task of each stage (`<array job>_<task>`) */
  jobs?: Record<string, string>
  error?: string
}

export interface SweepLaunchResult {
  experiment: string
  backend: BackendName
  dry_run: boolean
  detached: boolean
  jobs: number
  variants: SweepVariantResult[]
  /** the exact commands run (SLURM: the sbatch lines) */
  commands: string[][]
  /** files written (SLURM: the array scripts and their list files), workspace-relative */
  files: string[]
  /** the background worker that runs the sweep (local --detach) */
  worker_pid?: number
  interrupted: boolean
}

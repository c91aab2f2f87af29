import type {Direction} from '../reports/metric.js'
import type {PromotedCheckpoint} from './checkpoint.js'

/** Where replaced production files are kept, inside the production folder. */
export const HISTORY_DIR = '.history'

export interface TargetOptions {
  /** absolute production folder */
  productionDir: string
  /** a file name in productionDir instead of train_<name without date>.yaml */
  configName?: string
}

export interface PromotionPlan {
  experiment: string
  /** absolute experiment directory */
  dir: string
  source: string
  target: string
  metric: string
  direction: Direction
  value: number
  threshold: number | null
  /** the gate's one-line reason (value and threshold) */
  gate: string
  /** the report that decided, as a person sees its path */
  report: string
  metrics: Record<string, number>
  configText: string
  config_sha256: string
  /** the checkpoint the deciding report's run evaluated (null: no run wrote the report) */
  checkpoint: PromotedCheckpoint | null
  /** what the target looks like now: absent, identical content, or different content */
  target_state: 'absent' | 'identical' | 'different'
  /** a sweep's variant: its parameter values (leaderboard columns) */
  params?: Record<string, unknown>
}

export type Assessment = {ok: true; plan: PromotionPlan} | {ok: false; code: string; reason: string}

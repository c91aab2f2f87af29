import path from 'node:path'

import {ExpError} from '../errors.js'
import {EMBEDDED_ENGINE_DIR} from '../lib/package.js'
import {METRICS_FILE} from '../runs/metrics.js'
import type {StageName} from '../runs/record.js'
import {PLACEHOLDER_PATTERN, PLACEHOLDERS} from '../workspace/placeholders.js'
import type {Workspace} from '../workspace/workspace.js'

/**
 * The engines a run starts: argument lists with `{name}` placeholders (never shell strings), from exp.yaml
 * `engines`, or exp's embedded Burgers engine when that section is absent.
 */
export type Placeholder = (typeof PLACEHOLDERS)[number]
/** `{input_checkpoint}` has a value only for a work-graph node with an input checkpoint */
export type PlaceholderValues = Record<Exclude<Placeholder, 'input_checkpoint'>, string> & {input_checkpoint?: string}

/** Which engine a train stage runs: `finetune` (work-graph finetune nodes) is exp.yaml engines.finetune, else train's. */
export type TrainEngine = 'finetune' | 'train'

export const EMBEDDED_TEMPLATES: Readonly<Record<'train' | 'evaluate', readonly string[]>> = {
  evaluate: [
    '{python}',
    '{engine_dir}/evaluate.py',
    '--config',
    '{config}',
    '--checkpoint',
    '{checkpoint_dir}',
    '--report',
    '{report}',
    '--metrics',
    '{metrics}',
  ],
  train: [
    '{python}',
    '{engine_dir}/train.py',
    '--config',
    '{config}',
    '--out',
    '{checkpoint_dir}',
    '--metrics',
    '{metrics}',
  ],
}

/** The argument templates of a run's stages, by stage name (train, evaluate or evaluate:<name>), placeholders unexpanded. */
export type StageTemplates = Record<string, string[]>

/**
 * The engines' argument templates, placeholders unexpanded: train, then evaluate, or for an evaluation suite
 * (`engines.evaluate` as a map) one stage `evaluate:<name>` per evaluation, in the order exp.yaml lists them.
 */
export function engineTemplates(ws: Workspace, engine: TrainEngine = 'train'): StageTemplates {
  const engines = ws.settings.engines ?? EMBEDDED_TEMPLATES
  const train = (engine === 'finetune' && ws.settings.engines?.finetune) || engines.train
  const out: StageTemplates = {train: [...train]}
  if (Array.isArray(engines.evaluate)) out.evaluate = [...engines.evaluate]
  else for (const [name, argv] of Object.entries(engines.evaluate)) out[evaluationStage(name)] = [...argv]
  return out
}

export function evaluationStage(name: string): StageName {
  return `evaluate:${name}`
}

/** An evaluation stage: `evaluate` (the single form) or `evaluate:<name>` (a suite). */
export function isEvaluateStage(stage: string): boolean {
  return stage === 'evaluate' || stage.startsWith('evaluate:')
}

/** The evaluation a stage runs: its name in a suite; undefined for train and the single-form evaluate. */
export function evaluationOf(stage: string): string | undefined {
  return stage.startsWith('evaluate:') ? stage.slice('evaluate:'.length) : undefined
}

/** The report a run's evaluation stage writes (relative to the experiment directory), if any. */
export function stageReport(
  record: {report?: string; reports?: Record<string, string>},
  stage: string,
): string | undefined {
  const evaluation = evaluationOf(stage)
  return evaluation === undefined ? (stage === 'evaluate' ? record.report : undefined) : record.reports?.[evaluation]
}

/** Whether `stage` may run after `earlier` ended other than completed: evaluations wait for train only, not each other. */
export function blockedBy(stage: string, earlier: string): boolean {
  return !(isEvaluateStage(stage) && isEvaluateStage(earlier))
}

export function usesEmbeddedEngine(ws: Workspace): boolean {
  return ws.settings.engines === undefined
}

/** The Python interpreter `{python}` names: EXP_PYTHON, else python3 (found on PATH). */
export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.EXP_PYTHON?.trim() || 'python3'
}

/**
 * Expand `{name}` placeholders inside each argument: exact, one pass (a value that itself holds braces is never
 * expanded again), no shell, no splitting; `{{` and `}}` are literal braces. A placeholder without a value is an
 * error naming it.
 */
export function expandArgv(template: readonly string[], values: Partial<Record<string, string>>): string[] {
  return template.map((arg) =>
    arg.replace(PLACEHOLDER_PATTERN, (token, name: string | undefined) => {
      if (name === undefined) return token[0]
      const value = values[name]
      if (value === undefined) {
        throw new ExpError(
          `engine argument "${arg}" uses the placeholder {${name}}, which exp cannot fill (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}).`,
          {
            code: 'UNKNOWN_PLACEHOLDER',
          },
        )
      }
      return value
    }),
  )
}

/** The placeholders a template uses (for "does evaluate write {report}?"). */
export function placeholdersIn(template: readonly string[]): Set<string> {
  return new Set(
    template.flatMap((arg) =>
      [...arg.matchAll(PLACEHOLDER_PATTERN)].flatMap((m) => (m[1] === undefined ? [] : [m[1]])),
    ),
  )
}

/** Run-relative locations inside an experiment directory (what `{run_dir}`, `{checkpoint_dir}`, `{report}` name). */
export function runPaths(
  runId: string,
  checkpointRunId = runId,
  evaluation?: string,
): {runDir: string; checkpointDir: string; report: string; metrics: string} {
  const report = evaluation === undefined ? `reports/${runId}.json` : `reports/${runId}/${evaluation}.json`
  return {
    checkpointDir: `checkpoints/${checkpointRunId}`,
    metrics: `runs/${runId}/${METRICS_FILE}`,
    report,
    runDir: `runs/${runId}`,
  }
}

export interface ValuesInput {
  ws: Workspace
  experimentDir: string
  runId: string
  /** the run whose checkpoint evaluate reads (an evaluate-only launch: the last run with a completed train) */
  checkpointRunId?: string
  /** an evaluation of a suite: `{report}` is then reports/<run-id>/<name>.json */
  evaluation?: string
  /** a work-graph node's input checkpoint (absolute): `{input_checkpoint}` */
  inputCheckpoint?: string
  /** the checkpoint an evaluate-only run reads when it is not one of this experiment's runs (absolute) */
  evaluateCheckpoint?: string
  env?: NodeJS.ProcessEnv
}

/**
 * The values of every placeholder for a run on this machine. Paths inside the experiment are relative to it (the
 * engines run there), so records stay true when the workspace moves; `{experiment_dir}`, `{workspace}` and
 * `{engine_dir}` are absolute.
 */
export function placeholderValues(input: ValuesInput): PlaceholderValues {
  const {checkpointDir, metrics, report, runDir} = runPaths(input.runId, input.checkpointRunId, input.evaluation)
  return {
    checkpoint_dir: input.evaluateCheckpoint
      ? path.relative(input.experimentDir, input.evaluateCheckpoint)
      : checkpointDir,
    config: 'config.yaml',
    engine_dir: EMBEDDED_ENGINE_DIR,
    experiment: path.basename(input.experimentDir),
    experiment_dir: input.experimentDir,
    metrics,
    input_checkpoint: input.inputCheckpoint,
    python: pythonCommand(input.env),
    report,
    run_dir: runDir,
    run_id: input.runId,
    workspace: input.ws.root,
  }
}

/** An argument list as a person would type it in a POSIX shell: for display only, never executed. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

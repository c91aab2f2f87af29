import {ExpError, EXIT} from '../../errors.js'
import type {StageName} from '../../runs/record.js'
import {displayCommand, isEvaluateStage} from '../../launch/engines.js'
import {shellComment, shellJoin, shellQuote} from '../../lib/shell-quote.js'

/**
 * The batch scripts exp writes into the run folder (`runs/<run-id>/train.slurm`, `evaluate.slurm`): readable,
 * re-submittable by hand with `sbatch runs/<run-id>/train.slurm`, and they record their own start, end and exit code
 * next to themselves, so exp's status is right even when the login node cannot see the compute node's processes.
 */
export interface SlurmResources {
  partition?: string
  time?: string
  gpus?: number
  cpus?: number
  mem?: string
  account?: string
  /** extra sbatch options, one argument each (`--qos=high`) */
  sbatchArgs: string[]
  /** exp.yaml backends.slurm.setup: shell lines run before the engine (`module load cuda/12.4`) */
  setup?: string[]
}

export interface BatchScriptInput {
  experiment: string
  runId: string
  stage: StageName
  /** the engine's argument list, exactly as the local backend runs it */
  argv: readonly string[]
  /** where the engine runs (the experiment directory) */
  cwd: string
  /** the run folder (absolute): the start/end records go here */
  runDir: string
  /** the stage's log (absolute): SLURM writes the job's stdout and stderr here */
  log: string
  resources: SlurmResources
  /** shown in the header comment */
  scriptRel: string
  version: string
  /**
   * how the compute node runs exp (node and exp's bin/run.cjs, on the shared filesystem): the train job commits its
   * checkpoint's manifest after the engine, the evaluate job checks it (quick) before; absent: neither
   */
  exp?: readonly string[]
}

/** The files a job writes about itself, in its run folder. */
export function startedFile(stage: StageName): string {
  return `${stage}.started`
}

export function exitFile(stage: StageName): string {
  return `${stage}.exit`
}

/**
 * Quote a value for an `#SBATCH` line. sbatch reads these lines with its own parser, not a shell: it honours single
 * quotes like a shell does, but also treats a backslash as an escape inside them. So a backslash is doubled, and a
 * single quote is written as '\'' (which sbatch reads the same way bash does). Newlines cannot be expressed.
 */
export function sbatchQuote(value: string): string {
  if (/[\n\r\0]/.test(value)) {
    throw new ExpError(`an #SBATCH value cannot contain a line break: ${JSON.stringify(value)}.`, {
      code: 'INVALID_SLURM_OPTION',
      exit: EXIT.usage,
    })
  }
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", `'\\''`)}'`
}

/**
 * A path for `--output`/`--error`: SLURM expands `%j`, `%x`, … in it, so a literal `%` is written `%%`. A path
 * holding a backslash turns that expansion off and loses the backslash, so it cannot be expressed at all.
 */
export function slurmOutputPath(file: string): string {
  if (file.includes('\\')) {
    throw new ExpError(`SLURM cannot write a job's output to a path containing a backslash: ${file}.`, {
      code: 'INVALID_SLURM_PATH',
    })
  }
  return file.replaceAll('%', '%%')
}

const OPTION_NAME = /^--?[A-Za-z][\w-]*$/

/** One `#SBATCH` line: `--name='value'`, or the whole argument quoted when it is not of that form. */
export function directive(arg: string): string {
  const eq = arg.indexOf('=')
  if (eq > 0 && OPTION_NAME.test(arg.slice(0, eq)))
    return `#SBATCH ${arg.slice(0, eq)}=${sbatchQuote(arg.slice(eq + 1))}`
  if (OPTION_NAME.test(arg)) return `#SBATCH ${arg}`
  return `#SBATCH ${sbatchQuote(arg)}`
}

/** The sbatch options of a stage, in the order they appear in the script. */
export function sbatchOptions(input: Pick<BatchScriptInput, 'experiment' | 'log' | 'resources' | 'stage'>): string[] {
  const r = input.resources
  const output = slurmOutputPath(input.log)
  const options = [`--job-name=exp-${input.experiment}-${input.stage}`, `--output=${output}`, `--error=${output}`]
  if (r.partition) options.push(`--partition=${r.partition}`)
  if (r.time) options.push(`--time=${r.time}`)
  if (r.gpus) options.push(`--gpus=${r.gpus}`)
  if (r.cpus) options.push(`--cpus-per-task=${r.cpus}`)
  if (r.mem) options.push(`--mem=${r.mem}`)
  if (r.account) options.push(`--account=${r.account}`)
  for (const arg of r.sbatchArgs) {
    if (!arg.startsWith('-')) {
      throw new ExpError(`sbatch argument "${arg}" is not an option (expected e.g. --qos=high).`, {
        code: 'INVALID_SLURM_OPTION',
        exit: EXIT.usage,
      })
    }
    options.push(arg)
  }
  return options
}

/** backends.slurm.setup, as written in exp.yaml (a line break inside a line would smuggle a second command: refused) */
function setupLines(lines: string[] = []): string {
  if (lines.length === 0) return ''
  for (const line of lines)
    if (/[\n\r\0]/.test(line))
      throw new ExpError(`backends.slurm.setup lines cannot contain line breaks: ${JSON.stringify(line)}.`, {
        code: 'INVALID_SLURM_OPTION',
        exit: EXIT.usage,
      })
  return `# exp.yaml backends.slurm.setup\n${lines.join('\n')}\n`
}

export function renderBatchScript(input: BatchScriptInput): string {
  const {stage} = input
  const started = startedFile(stage)
  const ended = exitFile(stage)
  return `#!/bin/bash
# exp run ${shellComment(input.runId)} of ${shellComment(input.experiment)}: the ${stage} stage, written by exp ${input.version}.
# To run it again by hand, from the experiment directory: sbatch ${shellComment(displayCommand([input.scriptRel]))}
${sbatchOptions(input)
  .map((o) => directive(o))
  .join('\n')}

# The job records its own start, end and exit code in the run folder (exp reads these files: they are right even
# when the machine running exp cannot see this node's processes). Each file is written to a temporary name, then renamed.
exp_run_dir=${shellQuote(input.runDir)}
exp_record() {
  local name=$1
  shift
  printf '%s\\n' "$@" >"$exp_run_dir/.$name.$$" && mv -f "$exp_run_dir/.$name.$$" "$exp_run_dir/$name"
}
# scancel, the time limit and preemption send SIGTERM: the engine stops, and this script still records how it ended.
exp_signal=
trap 'exp_signal=TERM' TERM
# Python engines: write the log as it happens, not when the buffer is full (as exp's local runs do)
export PYTHONUNBUFFERED="\${PYTHONUNBUFFERED:-1}"

exp_record ${shellQuote(started)} "started_at=$(date -u +%FT%TZ)" "job_id=\${EXP_SLURM_JOB:-\${SLURM_JOB_ID:-}}" "host=$(hostname)"
${setupLines(input.resources.setup)}
${engineLines(input)}

exp_record ${shellQuote(ended)} "exit_code=$exp_code" "ended_at=$(date -u +%FT%TZ)" "job_id=\${EXP_SLURM_JOB:-\${SLURM_JOB_ID:-}}" "signal=$exp_signal"${input.exp ? ` "reason=\${exp_reason%%$'\\n'*}"` : ''}
exit "$exp_code"
`
}

/**
 * The engine, and around it exp's checkpoint step: before evaluate, the quick check of the checkpoint it reads (a
 * failure is the job's exit code 1 and its one-line reason, and the engine never starts); after a train that exited
 * 0, the manifest's commit.
 */
function engineLines(input: BatchScriptInput): string {
  const engine = `cd ${shellQuote(input.cwd)} &&\n  ${shellJoin(input.argv)}\nexp_code=$?`
  if (!input.exp) return engine
  const step = (action: string) =>
    `${shellJoin([...input.exp!, 'checkpoint-stage', action, input.cwd, input.runId])} 2>&1`
  if (isEvaluateStage(input.stage)) {
    // the engine's lines are not indented inside the if: a quoted argument may hold line breaks (python3 -c …)
    return `# the checkpoint this evaluates must pass exp's quick check (its manifest, every file with its size) first
if exp_reason=$(${step('check')}); then
${engine}
else
  exp_code=1
fi`
  }
  return `exp_reason=
${engine}
# the train exited 0: exp hashes its checkpoint and commits MANIFEST.json (the evaluate job checks it)
if [ "$exp_code" -eq 0 ] && ! exp_reason=$(${step('commit')}); then
  exp_code=1
fi`
}

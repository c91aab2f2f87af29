import {promises as fs} from 'node:fs'
import path from 'node:path'

import {writeFileAtomic} from '../../lib/atomic.js'
import {shellQuote} from '../../lib/shell-quote.js'
import type {StageName} from '../../runs/record.js'
import {runSlurm, slurmMessage} from './runner.js'
import {directive, sbatchOptions, slurmOutputPath, type SlurmResources} from './script.js'

/**
 * A sweep's stage as ONE SLURM job array: task N runs the variant whose run folder is on line N+1 of a plain list
 * file next to the script, through that run's own batch script (the one a single launch writes), so each variant's
 * run records its start, end and exit code exactly as a single run does. `EXP_SLURM_JOB` (`<array job>_<task>`)
 * is the id the run's records carry, as squeue -r and sacct name the task.
 */
export const LIST_FILE = 'variants.txt'

export function arrayScriptFile(dir: string, stage: StageName): string {
  return path.join(dir, `${stage.replace(':', '-')}.array.slurm`)
}

export interface ArrayScriptInput {
  experiment: string
  stage: StageName
  /** the folder holding the list file and the scripts (absolute) */
  dir: string
  /** how many tasks (lines in the list file) */
  tasks: number
  /** at most this many tasks at once (%N) */
  throttle: number
  resources: SlurmResources
  version: string
}

export function renderArrayScript(input: ArrayScriptInput): string {
  const stageFile = `${input.stage}.slurm`
  const output = `${slurmOutputPath(path.join(input.dir, input.stage.replace(':', '-')))}-%a.out`
  // the variant's own log gets the engine's output; SLURM's own messages for a task go to <stage>-<task>.out here
  const options = sbatchOptions({
    experiment: input.experiment,
    log: output,
    resources: input.resources,
    stage: input.stage,
  }).filter((o) => !/^--(output|error)=/.test(o))
  const directives = [...options, `--output=${output}`, `--array=0-${input.tasks - 1}%${input.throttle}`].map((o) =>
    directive(o),
  )
  return `#!/bin/bash
# exp sweep ${input.experiment.replace(/[\n\r]/g, ' ')}: the ${input.stage} stage of ${input.tasks} variant(s) as one job array, written by exp ${input.version}.
# Task N runs the variant whose run folder is line N+1 of ${LIST_FILE} (next to this script), with that run's ${stageFile}.
${directives.join('\n')}

exp_list=${shellQuote(path.join(input.dir, LIST_FILE))}
exp_run=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$exp_list")
if [ -z "$exp_run" ]; then
  echo "exp: no line $((SLURM_ARRAY_TASK_ID + 1)) in $exp_list" >&2
  exit 1
fi
# the id the run's records carry: the array task, as squeue -r and sacct name it
export EXP_SLURM_JOB="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
exec bash "$exp_run"/${shellQuote(stageFile)} >>"$exp_run"/${shellQuote(`${input.stage}.log`)} 2>&1
`
}

/** Write the list file (one run folder per line) and the array script of each stage; returns the scripts. */
export async function writeArrayScripts(dir: string, runDirs: string[], inputs: ArrayScriptInput[]): Promise<string[]> {
  await fs.mkdir(dir, {recursive: true})
  await writeFileAtomic(path.join(dir, LIST_FILE), runDirs.map((d) => `${d}\n`).join(''))
  const files: string[] = []
  for (const input of inputs) {
    const file = arrayScriptFile(dir, input.stage)
    await writeFileAtomic(file, renderArrayScript(input), 0o755)
    files.push(file)
  }
  return files
}

/** `--array` indices must stay below MaxArraySize (`scontrol show config`; SLURM's default is 1001). */
export async function maxArraySize(env?: NodeJS.ProcessEnv): Promise<number> {
  try {
    const r = await runSlurm('scontrol', ['show', 'config'], {env})
    const m = r.code === 0 ? /^MaxArraySize\s*=\s*(\d+)/m.exec(r.stdout) : null
    if (m) return Math.max(1, Number(m[1]))
  } catch {
    // no scontrol: SLURM's default
  }
  return 1001
}

/** sbatch an array; its job id, or why it was refused. */
export async function submitArray(
  script: string,
  after: string | undefined,
  env?: NodeJS.ProcessEnv,
): Promise<{id?: string; error?: string; argv: string[]}> {
  const argv = [
    'sbatch',
    '--parsable',
    ...(after ? [`--dependency=aftercorr:${after}`, '--kill-on-invalid-dep=yes'] : []),
    script,
  ]
  try {
    const r = await runSlurm('sbatch', argv.slice(1), {env})
    const id = r.stdout.trim().split(';')[0]
    if (r.code !== 0) return {argv, error: slurmMessage(r)}
    if (!/^\d+$/.test(id))
      return {argv, error: `unexpected answer from sbatch --parsable: ${JSON.stringify(r.stdout.trim())}`}
    return {argv, id}
  } catch (error) {
    return {argv, error: (error as Error).message}
  }
}

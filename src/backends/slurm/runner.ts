import {execa} from 'execa'

import {ExpError} from '../../errors.js'

/**
 * The one way exp talks to SLURM: every sbatch/squeue/scontrol/scancel/sacct call goes through `runSlurm`, as an
 * argument list (never a shell string), found on PATH. Keeping it in one place means a test can count the calls
 * with wrappers on PATH, and nothing else in exp ever polls the controller behind its back.
 */
export type SlurmTool = 'sacct' | 'sbatch' | 'scancel' | 'scontrol' | 'squeue'

export interface SlurmResult {
  /** the command as run, for messages and --dry-run */
  argv: string[]
  code: number
  stdout: string
  stderr: string
}

export interface SlurmRunOptions {
  /** the environment of the call (SLURM_CONF and PATH come from here); process.env when absent */
  env?: NodeJS.ProcessEnv
  /** default 120 s: a controller under load answers slowly, but exp must not hang forever */
  timeoutMs?: number
}

export class SlurmUnavailableError extends ExpError {
  constructor(tool: SlurmTool, detail: string) {
    super(`cannot run ${tool}: ${detail}.`, {
      code: 'SLURM_UNAVAILABLE',
      suggestion:
        'run exp on a machine with the SLURM client commands (a login node), with SLURM_CONF set if your cluster needs it',
    })
  }
}

/** Run one SLURM client command. A non-zero exit is returned (the caller decides); a missing tool or a timeout throws. */
export async function runSlurm(
  tool: SlurmTool,
  args: readonly string[],
  options: SlurmRunOptions = {},
): Promise<SlurmResult> {
  const argv = [tool, ...args]
  const result = await execa(tool, [...args], {
    env: options.env ?? process.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 120_000,
  })
  if (result.timedOut)
    throw new SlurmUnavailableError(tool, `no answer within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`)
  const spawnCode = (result.cause as NodeJS.ErrnoException | undefined)?.code
  if (result.exitCode === undefined) {
    throw new SlurmUnavailableError(
      tool,
      spawnCode === 'ENOENT' ? `${tool} is not installed or not on PATH` : (result.shortMessage ?? 'it did not start'),
    )
  }
  return {argv, code: result.exitCode, stderr: String(result.stderr), stdout: String(result.stdout)}
}

/**
 * SLURM's complaint as one line: its `error:` lines without the `sbatch: error:` prefixes, joined
 * ("invalid partition specified: nope; Batch job submission failed: Invalid partition name specified").
 */
export function slurmMessage(result: SlurmResult): string {
  const lines = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const errors = lines.filter((l) => /\b(error|fatal)\b/i.test(l))
  const chosen = (errors.length > 0 ? errors : lines).map((l) => l.replace(/^(?:[\w-]+: )?(?:error|fatal): /i, ''))
  const unique = [...new Set(chosen)]
  return unique.length > 0 ? unique.join('; ') : `${result.argv[0]} exited with code ${result.code}`
}

import {execa} from 'execa'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {EMBEDDED_ENGINE_DIR} from '../lib/package.js'
import {displayCommand, expandArgv, pythonCommand} from '../launch/engines.js'
import {formatLaunchLogEntry, type LaunchLogEntry} from '../launch/launch-log.js'
import {localPlaceholders} from '../workspace/local.js'
import type {Workspace} from '../workspace/workspace.js'
import type {SetupState} from './record.js'

/**
 * The setup hook, exp.yaml `engines.setup`: an argument list (never a shell string) run in each variant folder after
 * its config is written — e.g. the project's `setup_finetune.py`, which writes the engine's own config and a SLURM
 * script. One variant's failure is logged and the others continue; the caller reports every failure at the end.
 */
export const SETUP_LOG = 'setup.log'

/** The hook's template, with `{local.NAME}` checked now (an unknown name is an error before anything is written). */
export function setupTemplate(ws: Workspace): {argv: string[]; local: Record<string, string>} | undefined {
  const argv = ws.settings.engines?.setup
  if (!argv) return undefined
  return {argv, local: localPlaceholders(ws, argv, 'exp.yaml engines.setup')}
}

export interface SetupOutcome {
  variant: string
  state: SetupState
  error?: string
}

/** A scaffold-log entry writer: the team's `[YYYY-MM-DD HH:MM:SS] ACTION:` / `Details:` / `Result:` format. */
export class ScaffoldLog {
  private text = ''
  constructor(private readonly now: () => Date) {}
  add(entry: LaunchLogEntry): void {
    this.text += formatLaunchLogEntry(entry, this.now())
  }

  take(): string {
    const t = this.text
    this.text = ''
    return t
  }
}

export async function runSetup(
  ws: Workspace,
  experimentDir: string,
  variants: string[],
  log: ScaffoldLog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SetupOutcome[]> {
  const hook = setupTemplate(ws)
  if (!hook) return variants.map((variant) => ({state: 'none', variant}))
  const out: SetupOutcome[] = []
  for (const variant of variants) {
    const dir = path.join(experimentDir, variant)
    const argv = setupArgv(ws, hook, experimentDir, variant, env)
    const result = await execa(argv[0], argv.slice(1), {
      all: true,
      cwd: dir,
      env,
      reject: false,
      stdin: 'ignore',
      timeout: 600_000,
    })
    await fs.writeFile(path.join(dir, SETUP_LOG), result.all ?? '')
    const ok = result.exitCode === 0
    const why =
      result.failed && result.exitCode === undefined
        ? (result.shortMessage ?? 'could not start').split('\n')[0]
        : `exit code ${result.exitCode}`
    log.add({
      action: 'RUN_SETUP',
      description: `${variant}: ${displayCommand(argv)}`,
      details: `output in ${variant}/${SETUP_LOG}`,
      result: ok ? 'ok' : `FAILED (${why})`,
    })
    out.push(ok ? {state: 'ok', variant} : {error: why, state: 'failed', variant})
  }
  return out
}

/** The hook's command line for one variant (what runSetup runs, and what `exp sweep setup --dry-run` shows). */
export function setupArgv(
  ws: Workspace,
  hook: NonNullable<ReturnType<typeof setupTemplate>>,
  experimentDir: string,
  variant: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return expandArgv(hook.argv, {
    ...hook.local,
    config: 'config.yaml',
    engine_dir: EMBEDDED_ENGINE_DIR,
    experiment: path.basename(experimentDir),
    experiment_dir: experimentDir,
    python: pythonCommand(env),
    variant,
    variant_dir: path.join(experimentDir, variant),
    workspace: ws.root,
  })
}

/** Exit 1 naming the variants whose setup failed (the others are set up). */
export function setupFailed(failures: SetupOutcome[], total: number): ExpError {
  return new ExpError(
    `setup failed for ${failures.length} of ${total} variants: ${failures.map((f) => `${f.variant} (${f.error})`).join(', ')}; see scaffold-runs.log.`,
    {code: 'SETUP_FAILED'},
  )
}

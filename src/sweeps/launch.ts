import {EXIT, ExpError} from '../errors.js'
import {classifyWorkspace} from '../experiments/listing.js'
import {resolveTarget} from '../experiments/resolve.js'
import type {BackendName} from '../runs/record.js'
import type {Workspace} from '../workspace/workspace.js'
import type {SweepLaunchOptions, SweepLaunchResult} from './launch-types.js'
import {chooseVariants, type VariantChoice} from './launch-select.js'

export type {SweepLaunchOptions, SweepLaunchResult, SweepVariantResult} from './launch-types.js'

/**
 * Launch every variant of a sweep that has no completed run of its current config (see chooseVariants) on one
 * backend, at most `jobs` at once: local runs them here (or in one background worker), SLURM as job arrays,
 * vast.ai on at most `jobs` instances, each running its share of the variants one after another. Each variant's run is recorded exactly as a single launch.
 */
export async function launchSweep(ws: Workspace, options: SweepLaunchOptions): Promise<SweepLaunchResult> {
  const target = await resolveTarget(ws, options.name)
  const [item] = await classifyWorkspace(ws, {
    location: 'experiments',
    log: options.log,
    now: options.now,
    only: [target.name],
  })
  if (!item?.snapshot.variants?.length)
    throw new ExpError(`${target.name} is not a sweep in experiments/.`, {code: 'NOT_A_SWEEP'})
  const jobs = options.jobs ?? 1
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new ExpError(`--jobs must be a whole number of at least 1 (got ${jobs}).`, {
      code: 'BAD_JOBS',
      exit: EXIT.usage,
    })
  if (options.stage && options.stage !== 'all')
    throw new ExpError(
      'a sweep launch runs train then evaluate for each variant; --stage applies to one variant (EXP/V).',
      {code: 'BAD_STAGE', exit: EXIT.usage},
    )
  const choices = await chooseVariants(item.snapshot, {force: options.force, only: options.only})
  const backend = options.backend ?? ws.settings.backends.default
  const base: SweepLaunchResult = {
    backend,
    commands: [],
    detached: Boolean(options.detach),
    dry_run: Boolean(options.dryRun),
    experiment: item.snapshot.name,
    files: [],
    interrupted: false,
    jobs,
    variants: choices.map((c) => ({action: c.action, variant: c.variant, why: c.why})),
  }
  const todo = choices.filter((c) => c.action === 'launch')
  for (const c of choices) options.log(`${c.variant}: ${c.action === 'launch' ? 'to launch' : 'skipped'} (${c.why})`)
  if (todo.length === 0) return base
  const result = await launchOn(ws, backend, todo, {...options, jobs}, base)
  // what this launch submitted, started or ended goes into the orchestration log and the status table
  if (!result.dry_run)
    await (
      await import('./observe.js')
    ).observeSweep({experiment: result.experiment, now: options.now(), workspace: ws})
  return result
}

async function launchOn(
  ws: Workspace,
  backend: BackendName,
  todo: VariantChoice[],
  options: SweepLaunchOptions & {jobs: number},
  base: SweepLaunchResult,
): Promise<SweepLaunchResult> {
  if (backend === 'slurm') return (await import('./launch-slurm.js')).launchSlurmSweep(ws, todo, options, base)
  if (backend === 'vast') return (await import('./launch-vast.js')).launchVastSweep(ws, todo, options, base)
  return (await import('./launch-local.js')).launchInPool(ws, todo, options, base)
}

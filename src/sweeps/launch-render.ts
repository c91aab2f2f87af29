import {displayCommand} from '../launch/engines.js'
import type {SweepLaunchResult} from './launch.js'

/** What `exp launch SWEEP` prints once the service returns (the transitions were printed as they happened). */
export function renderSweepLaunch(r: SweepLaunchResult): string[] {
  const launched = r.variants.filter((v) => v.action === 'launch')
  const skipped = r.variants.length - launched.length
  const lines: string[] = []
  if (launched.length === 0)
    return [
      `Nothing to launch: all ${r.variants.length} variant(s) of ${r.experiment} are skipped (exp launch ${r.experiment} --force relaunches them).`,
    ]
  if (r.dry_run) {
    lines.push(
      `Dry run: ${launched.length} variant(s) of ${r.experiment} would run on ${r.backend} (${skipped} skipped), at most ${r.jobs} at once:`,
    )
    for (const c of r.commands) lines.push(`  ${displayCommand(c)}`)
    for (const f of r.files) lines.push(`  wrote ${f}`)
    return lines
  }
  if (r.worker_pid !== undefined)
    return [
      `Started ${launched.length} variant(s) of ${r.experiment} in a background worker (pid ${r.worker_pid}). Follow it: exp watch ${r.experiment}`,
    ]
  const count = (state: string) => launched.filter((v) => v.state === state).length
  const states = ['completed', 'failed', 'interrupted', 'cancelled', 'queued', 'running']
    .map((s) => [s, count(s)] as const)
    .filter(([, n]) => n > 0)
  const errors = launched.filter((v) => v.error).length
  lines.push(
    `${r.experiment}: ${launched.length} variant(s) launched on ${r.backend} (${skipped} skipped): ${[...states.map(([s, n]) => `${n} ${s}`), ...(errors ? [`${errors} not launched`] : [])].join(', ')}.`,
  )
  if (r.backend === 'slurm') lines.push(`Follow them: exp watch ${r.experiment}  ·  exp runs ${r.experiment}`)
  else lines.push(`See: exp list --variants  ·  exp show ${r.experiment}`)
  return lines
}

import type {SetupOutcome} from './setup.js'

/** The terminal summary of a scaffold or a setup re-run: one line per variant (✓/✗) and what to run next. */
export function renderVariants(experiment: string, variants: SetupOutcome[]): string[] {
  const lines = variants.map(
    (v) =>
      `  ${v.state === 'failed' ? '✗' : '✓'} ${v.variant}${v.state === 'failed' ? `  setup failed (${v.error})` : v.state === 'ok' ? '  set up' : ''}`,
  )
  const failed = variants.filter((v) => v.state === 'failed')
  const slug = experiment.replace(/^\d{4}-\d{2}-\d{2}-/, '')
  lines.push(
    failed.length > 0
      ? `Next: fix the setup, then exp sweep setup ${slug}${failed.length === 1 ? ` --only ${failed[0].variant}` : ''}`
      : `Next: exp launch ${slug}/${variants[0]?.variant ?? 'VARIANT'}`,
  )
  return lines
}

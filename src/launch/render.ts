import {EXIT} from '../errors.js'
import {formatNumber} from '../lib/table.js'
import {renderSweepLaunch} from '../sweeps/launch-render.js'
import type {SweepLaunchResult} from '../sweeps/launch-types.js'
import {displayCommand} from './engines.js'
import type {LaunchResult} from './launch.js'

/** What `exp launch` prints (stdout lines, stderr lines) and the exit code its result calls for. */
export interface LaunchOutput {
  out: string[]
  err: string[]
  exitCode?: number
}

export function renderLaunchResult(r: LaunchResult | SweepLaunchResult): LaunchOutput {
  if ('variants' in r) {
    const exitCode = r.interrupted
      ? EXIT.interrupted
      : r.variants.some((v) => v.error || v.state === 'failed')
        ? EXIT.failure
        : undefined
    return {err: [], exitCode, out: renderSweepLaunch(r)}
  }
  return renderSingle(r)
}

function renderSingle(r: LaunchResult): LaunchOutput {
  const out: string[] = []
  const err: string[] = []
  const where = `run ${r.run_id} of ${r.experiment} on ${r.backend}`
  if (r.dry_run) {
    const wrote =
      r.backend === 'slurm'
        ? 'nothing was submitted; the batch scripts were written so you can read them'
        : 'nothing was started or written'
    out.push(`Dry run: ${wrote}. It would start ${where}:`)
    for (const s of r.stages) out.push(`  ${s.name}: ${displayCommand(s.argv)}`)
    out.push(`  working directory: ${r.stages[0]?.cwd}`)
    if (r.commands.some((c, i) => c.join('\0') !== r.stages[i]?.argv.join('\0'))) {
      out.push('  commands the backend would run:')
      for (const c of r.commands) out.push(`    ${displayCommand(c)}`)
    }
    out.push(r.backend === 'slurm' ? '  files written:' : '  files it would write:')
    for (const file of r.files) out.push(`    ${file}`)
    return {err, out}
  }
  if (r.forced_over) err.push(`Warning: launched beside the live run ${r.forced_over} (--force).`)
  if (r.detached || r.record.state === 'queued' || r.record.state === 'running') {
    out.push(
      r.detached
        ? `Started ${where} in the background (supervisor pid ${r.record.supervisor_pid}).`
        : `Submitted ${where}: ${r.record.state}.`,
    )
    out.push(`Follow it: exp watch ${r.experiment}  ·  exp logs ${r.experiment} --follow  ·  exp runs ${r.experiment}`)
    return {err, out}
  }
  if (r.record.state === 'completed') {
    out.push(`Run ${r.run_id} completed${durationOf(r)}.`)
    if (r.verdict && r.report) {
      const metric = r.verdict.metric
        ? `${r.verdict.metric.name} ${typeof r.verdict.metric.value === 'number' ? formatNumber(r.verdict.metric.value) : String(r.verdict.metric.value)}, `
        : ''
      const by = r.verdict.decided_by === 'exp' ? ' (decided by exp.yaml gates)' : ''
      out.push(`Report ${r.report}: ${metric}gates_passed ${String(r.verdict.gates_passed)}${by}.`)
    }
    out.push(`See: exp list  ·  exp show ${r.experiment}`)
    return {err, out}
  }
  if (r.record.state === 'interrupted') {
    const stage = r.record.stages.find((s) => s.state === 'interrupted')
    err.push(
      `Interrupted: ${where} stopped${stage ? ` during ${stage.name}` : ''}; recorded as interrupted in ${r.run_dir}/run.json.`,
    )
    return {err, exitCode: EXIT.interrupted, out}
  }
  const f = r.failure
  const how = f
    ? `${f.stage} ${f.reason}${f.last_output ? ` (last output: ${f.last_output})` : ''}`
    : (r.record.reason ?? r.record.state)
  err.push(`Error: run ${r.run_id} ${r.record.state}: ${how}. Log: ${f ? f.log : `${r.run_dir}/launch.log`}`)
  return {err, exitCode: EXIT.failure, out}
}

function durationOf(r: LaunchResult): string {
  const start = Date.parse(r.record.stages.find((s) => s.started_at)?.started_at ?? '')
  const end = Math.max(...r.record.stages.map((s) => Date.parse(s.ended_at ?? '')).filter((t) => !Number.isNaN(t)))
  return Number.isFinite(start) && Number.isFinite(end) ? ` in ${((end - start) / 1000).toFixed(1)}s` : ''
}

import {EXIT, ExpError} from '../errors.js'
import {formatNumber, renderTable} from '../lib/table.js'
import type {PromotionOutcome} from './promote.js'
import type {PromoteCommandResult} from './request.js'

/** What `exp promote` prints for its result, and its exit code. */
/** `refusal`: thrown after the lines are printed (the candidates were listed, but none could be picked). */
export function renderPromote(outcome: PromoteCommandResult): {exit: number; lines: string[]; refusal?: ExpError} {
  const lines: string[] = []
  if (outcome.kind === 'rollback') {
    const r = outcome.result
    lines.push(
      `${r.written ? 'Restored' : 'Would restore'} ${r.target} from ${r.restored}${r.kept_current_as ? `; the replaced version is kept as ${r.kept_current_as}` : ''}.`,
    )
    if (r.experiment)
      lines.push(
        `  undoes the promotion of ${r.experiment}${r.written && !r.metadata_marked ? ' (its metadata.json has no matching entry)' : ''}${r.leaderboard ? `; its row is removed from ${r.leaderboard}` : ''}`,
      )
    return {exit: EXIT.ok, lines}
  }
  const result = outcome.result
  if (result.candidates) {
    if (result.candidates.length === 0)
      lines.push('No candidates: no experiment classified success passes the gate without having been promoted.')
    else lines.push(candidateTable(result.candidates))
  }
  if (result.needs_choice) {
    const refusal = new ExpError(
      `${result.candidates!.length} candidate(s) and no terminal to pick them on; nothing was promoted.`,
      {
        code: 'NEEDS_CHOICE',
        exit: EXIT.usage,
        suggestion: 'exp promote --yes (promotes them all), or exp promote NAME --yes',
      },
    )
    return {exit: EXIT.usage, lines, refusal}
  }
  if (result.candidates && result.promotions.length > 0) lines.push('')
  for (const p of result.promotions) lines.push(p.message)
  const leaderboard = result.promotions.find((p) => p.written && p.leaderboard)?.leaderboard
  if (leaderboard) lines.push(`Leaderboard: ${leaderboard}`)
  const refused = result.candidates && result.promotions.some((p) => p.action === 'refused')
  return {exit: refused ? EXIT.failure : EXIT.ok, lines}
}

function candidateTable(candidates: PromotionOutcome[]): string {
  const metric = candidates[0].metric
  const state = (p: PromotionOutcome) =>
    ({
      create: 'new file',
      refused: 'exists, different: needs --force',
      repaired: 'identical: record repaired',
      replace: 'replace (--force)',
      skipped: 'skipped',
      unchanged: 'identical: no-op',
    })[p.action]
  return renderTable(
    ['#', 'experiment', metric, 'target', 'target state'],
    candidates.map((p, i) => [String(i + 1), p.experiment, formatNumber(p.value), p.target, state(p)]),
  )
}

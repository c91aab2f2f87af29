import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {checkpointHeaderLine} from './checkpoint.js'
import type {PromotionPlan} from './plan.js'

const HEADER_FIRST = '# Promoted by exp: provenance (the rest of this file is the experiment config, unchanged)'
const HEADER_LAST = '# end of provenance'

export interface Provenance {
  experiment?: string
  config_sha256?: string
  source?: string
  promoted_at?: string
  report?: string
  /** the metric line as written: `final_nrmse: 0.05 (threshold <= 0.1; lower is better)` */
  metric?: string
}

export function provenanceHeader(ws: Workspace, plan: PromotionPlan, promotedAt: Date): string {
  const bound =
    plan.threshold === null ? 'no threshold' : `threshold ${plan.direction === 'min' ? '<=' : '>='} ${plan.threshold}`
  return [
    HEADER_FIRST,
    `# experiment: ${oneLine(plan.experiment)}`,
    `# source: ${oneLine(relativeToRoot(ws, plan.source))}`,
    `# promoted_at: ${promotedAt.toISOString()}`,
    `# ${oneLine(plan.metric)}: ${plan.value} (${bound}; ${plan.direction === 'min' ? 'lower' : 'higher'} is better)`,
    `# report: ${oneLine(plan.report)}`,
    `# config_sha256: ${plan.config_sha256}`,
    ...checkpointHeaderLine(relativeToRoot(ws, plan.dir), plan.checkpoint),
    HEADER_LAST,
    '',
  ].join('\n')
}

/** Split a production file into its provenance (when exp wrote one) and the config itself. */
export function splitProvenance(text: string): {provenance?: Provenance; body: string} {
  if (!text.startsWith(`${HEADER_FIRST}\n`)) return {body: text}
  const end = text.indexOf(`\n${HEADER_LAST}\n`)
  if (end === -1) return {body: text}
  const provenance: Provenance = {}
  for (const line of text.slice(HEADER_FIRST.length + 1, end).split('\n')) {
    const m = /^# ([^:]+): (.*)$/.exec(line)
    if (!m) continue
    if (['experiment', 'config_sha256', 'source', 'promoted_at', 'report'].includes(m[1]))
      provenance[m[1] as keyof Provenance] = m[2]
    else provenance.metric ??= `${m[1]}: ${m[2]}`
  }
  return {body: text.slice(end + HEADER_LAST.length + 2), provenance}
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001F\u2028\u2029]/g, ' ')
}

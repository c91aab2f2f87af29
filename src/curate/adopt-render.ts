import type {AdoptItem, AdoptResult} from './adopt.js'

const VERB: Record<AdoptItem['outcome'], string> = {
  adopted: 'adopted',
  failed: 'FAILED',
  refused: 'refused',
  skipped: 'skipped',
  'would-adopt': 'would adopt',
}

/** One config's line: what happened to it, and where it went or why not. */
export function adoptLine(i: AdoptItem): string {
  return `${VERB[i.outcome]} ${i.file}${i.outcome === 'adopted' || i.outcome === 'would-adopt' ? ` → ${i.experiment}/config.yaml` : `: ${i.reason}`}`
}

/** After a dry run (or when there is nothing to do). */
export function adoptPlanLine(todo: number): string {
  return todo === 0
    ? 'Nothing to adopt.'
    : `Dry run: ${todo} file${todo === 1 ? '' : 's'} would be adopted; nothing changed.`
}

export function adoptSummaryLine(s: AdoptResult['summary']): string {
  return `Adopted ${s.adopted}, refused ${s.refused}, skipped ${s.skipped}, failed ${s.failed}.`
}

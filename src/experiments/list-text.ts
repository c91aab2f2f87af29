import {outputStyle} from '../lib/format.js'
import type {ListResult} from './listing.js'
import {paramCell, renderExperimentTable, renderSummary} from './render.js'
import {renderVariantTable} from './variants.js'

export interface ListTextOptions {
  archived?: boolean
  metric: string
  /** config keys shown as extra columns (--params) */
  params: string[]
  wide?: boolean
}

/** `exp list` as a table for people: the experiments (or a sweep's variants), a blank line, the summary. */
export function renderListText(result: ListResult, options: ListTextOptions): string {
  const {archived, metric, params, wide} = options
  let body: string
  if (result.experiments.length === 0) body = archived ? 'The archive is empty.' : 'No experiments match. Create one with: exp new NAME'
  else if (result.variants) body = result.variants.length > 0 ? renderVariantTable(result.variants, metric) : 'No sweeps match: no variants to list.'
  else body = renderExperimentTable(result.experiments, metric, outputStyle({wide}), {cells: (e) => params.map((k) => paramCell(e.params?.[k]) ?? undefined), headers: params})
  return [body, '', renderSummary(result.summary)].join('\n')
}

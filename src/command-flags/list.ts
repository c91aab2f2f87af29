import {Flags} from '@oclif/core'

import {LIST_FORMATS} from '../experiments/render.js'
import {statusFilter, wide} from '../flags.js'

/** `exp list`'s flags (kept apart so the command stays parse → service → render). */
export const listFlags = {
  archived: Flags.boolean({description: 'List the archive instead of experiments/.'}),
  format: Flags.string({
    default: 'table',
    description: 'table for people, csv for spreadsheets, md for notes.',
    options: [...LIST_FORMATS],
  }),
  limit: Flags.integer({description: 'Only the first N (after --sort).', min: 1}),
  params: Flags.string({
    description: 'Add this config key (dotted, e.g. model.latent_dim) as a column (repeatable).',
    multiple: true,
  }),
  sort: Flags.string({
    description: 'Sort by a column, a report metric or a config key; prefix - for descending (e.g. -final_nrmse).',
  }),
  status: statusFilter,
  variants: Flags.boolean({description: 'One row per variant of each sweep, with its parameter values.'}),
  where: Flags.string({
    description:
      "Only experiments where FIELD OP VALUE holds, e.g. 'final_nrmse<0.05' (OP: < <= > >= = !=; repeatable, all must hold).",
    multiple: true,
  }),
  wide,
}

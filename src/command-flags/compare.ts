import {Flags} from '@oclif/core'

/** `exp compare`'s flags (kept apart so the command stays parse → service → render). */
export const compareFlags = {
  csv: Flags.boolean({description: 'Print CSV (formulas escaped) instead of a table.', exclusive: ['md', 'json']}),
  direction: Flags.string({
    description: 'Which way --sort is better (default: promote.direction for promote.metric, else min).',
    options: ['min', 'max'],
  }),
  md: Flags.boolean({description: 'Print a Markdown table.', exclusive: ['csv', 'json']}),
  metrics: Flags.string({
    description: 'Metric columns (repeatable; default: the sort metric, then every other numeric metric).',
    multiple: true,
  }),
  params: Flags.string({
    description: 'Config keys to show (repeatable; a section selects its keys; default: the keys that vary).',
    multiple: true,
  }),
  sort: Flags.string({description: 'The metric to rank by (default: promote.metric in exp.yaml).'}),
}

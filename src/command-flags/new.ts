import {Flags} from '@oclif/core'

import {dryRun} from '../flags.js'

/** `exp new`'s flags (kept apart so the command stays parse → service → render). */
export const newFlags = {
  add: Flags.string({
    description: 'Add a key that is not in the base config, key.path=value (repeatable).',
    multiple: true,
  }),
  date: Flags.string({description: 'Date prefix YYYY-MM-DD (default: today).'}),
  'dry-run': dryRun,
  'from-summary': Flags.string({
    description: 'Scaffold a sweep from an experiment_summary.md "All Runs" table (one variant per Fine-tuned row).',
    exclusive: ['grid'],
  }),
  grid: Flags.string({
    description: 'A sweep axis, key.path=v1,v2,... (repeatable): one variant per combination.',
    multiple: true,
  }),
  from: Flags.string({
    description: 'Base config: a path or a file name in configs/ (default: base_config in exp.yaml).',
  }),
  hypothesis: Flags.string({description: 'What you expect and why; goes into notes.md and metadata.json.'}),
  set: Flags.string({
    description:
      'Override a key of the base config, key.path=value (repeatable); an unknown key is refused (see --add).',
    multiple: true,
  }),
}

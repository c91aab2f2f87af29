import {Flags} from '@oclif/core'

import {dryRun} from '../../flags.js'
import {BACKEND_NAMES} from '../../launch/launch.js'

/** `exp graph run`'s flags (kept apart so the command stays parse → service → render). */
export const graphRunFlags = {
  backend: Flags.string({
    description: 'Where nodes run (default: backends.default in exp.yaml).',
    options: [...BACKEND_NAMES],
  }),
  detach: Flags.boolean({description: 'Run in a background process and return at once.'}),
  'dry-run': dryRun,
  'max-nodes': Flags.integer({description: 'Claim at most this many nodes, then stop.', min: 1}),
  workers: Flags.integer({default: 1, description: 'Nodes run at once.', min: 1}),
}

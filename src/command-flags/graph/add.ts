import {Flags} from '@oclif/core'

import {dryRun} from '../../flags.js'
import {ACTIONS} from '../../graph/record.js'

/** `exp graph add`'s flags (kept apart so the command stays parse → service → render). */
export const graphAddFlags = {
  action: Flags.string({description: 'What the node does.', options: [...ACTIONS], required: true}),
  config: Flags.string({
    description: "Config file for the node's spec (a path or a name in configs/).",
    exclusive: ['experiment'],
  }),
  'depends-on': Flags.string({description: 'A node it depends on (repeatable).', multiple: true}),
  'dry-run': dryRun,
  experiment: Flags.string({
    description: 'Run this existing experiment instead of creating one.',
    exclusive: ['config', 'set'],
  }),
  set: Flags.string({description: 'Override a config key: key.path=value (repeatable).', multiple: true}),
}

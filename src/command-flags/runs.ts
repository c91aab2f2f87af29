import {Flags} from '@oclif/core'

import {wide} from '../flags.js'

/** `exp runs`'s flags (kept apart so the command stays parse → service → render). */
export const runsFlags = {
  advance: Flags.boolean({
    description:
      'Let the backends act on what they see (vast.ai: upload, fetch results, destroy, rent again): may spend money.',
  }),
  wide,
}

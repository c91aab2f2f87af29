import {Flags} from '@oclif/core'

import {archiveStatus, dryRun, durationFlag, yes} from '../flags.js'

/** `exp archive`'s flags (kept apart so the command stays parse → service → render). */
export const archiveFlags = {
  'dry-run': dryRun,
  'list-only': Flags.boolean({
    description: 'Print the statuses (summary and experiments per status) and change nothing.',
    exclusive: ['dry-run', 'yes'],
  }),
  'older-than': durationFlag({
    description: 'Only experiments whose last activity (newest file change) is older than this: 14d, 36h, 2w.',
  }),
  status: archiveStatus,
  yes,
}

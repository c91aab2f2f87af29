import {Flags} from '@oclif/core'

import {dryRun} from '../flags.js'

/** `exp mark`'s flags (kept apart so the command stays parse → service → render). */
export const markFlags = {
  clear: Flags.boolean({
    description: "Remove exp's verdict: the metadata.json status it set and the notes.md lines it appended.",
    exclusive: ['success', 'failed', 'reason'],
  }),
  'dry-run': dryRun,
  failed: Flags.boolean({description: 'The experiment failed.', exclusive: ['success', 'clear']}),
  reason: Flags.string({description: 'Why, in one line (shown by exp list).'}),
  success: Flags.boolean({description: 'The experiment succeeded.', exclusive: ['failed', 'clear']}),
}

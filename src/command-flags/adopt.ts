import {Flags} from '@oclif/core'

import {dryRun, yes} from '../flags.js'

/** `exp adopt`'s flags (kept apart so the command stays parse → service → render). */
export const adoptFlags = {
  date: Flags.string({description: 'The date of the new experiments, YYYY-MM-DD (default: today).'}),
  'dry-run': dryRun,
  force: Flags.boolean({description: "Adopt configs with exp's provenance header (promoted production configs) too."}),
  pattern: Flags.string({description: 'A glob over the file names in the production folder, e.g. "*_experimental*".'}),
  yes,
}

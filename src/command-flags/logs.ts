import {Flags} from '@oclif/core'

import {runFlag} from '../flags.js'
import {LOG_STAGES} from '../runs/logs.js'

/** `exp logs`'s flags (kept apart so the command stays parse → service → render). */
export const logsFlags = {
  follow: Flags.boolean({char: 'f', description: 'Keep printing new output until the run ends.'}),
  run: runFlag(),
  stage: Flags.string({
    description: "One log: a stage's output, or launch (exp's own record of the run). Default: every stage's output.",
    options: [...LOG_STAGES],
  }),
}

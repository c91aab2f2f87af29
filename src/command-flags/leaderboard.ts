import {Flags} from '@oclif/core'

import {leaderboardCsv, wide} from '../flags.js'

/** `exp leaderboard`'s flags (kept apart so the command stays parse → service → render). */
export const leaderboardFlags = {
  html: Flags.string({description: 'Also write the leaderboard as a self-contained HTML page to this file.'}),
  'leaderboard-csv': leaderboardCsv,
  top: Flags.integer({description: 'Only the best N rows.', min: 1}),
  wide,
}

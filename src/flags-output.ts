import {Flags} from '@oclif/core'

/** `--wide`: tables keep every character of reasons and paths instead of fitting the terminal. */
export const wide = Flags.boolean({description: 'Show reasons and paths whole instead of fitting the table to the terminal.'})

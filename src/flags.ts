import {Flags} from '@oclif/core'

import {ARCHIVE_CHOICES} from './archive/choices.js'
import {STATUSES} from './classify/classify.js'

/** Flags that mean the same thing in every command, defined once. */

/** A finite number (oclif has no float flag). NaN, Infinity and non-numbers are refused at parse time. */
export const numberFlag = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value)) throw new Error(`expected a finite number, got "${input}"`)
    return value
  },
})

export const yes = Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required without a terminal).'})

export const dryRun = Flags.boolean({description: 'Show what would happen and change nothing.'})

export const statusFilter = Flags.string({
  description: 'Only experiments with this status (repeatable).',
  multiple: true,
  options: [...STATUSES],
})

/** `exp archive --status`: which finished experiments to archive (`all` = success, failed and stale; never active). */
export const archiveStatus = Flags.string({
  description: 'Archive the experiments with this status (repeatable); all = success, failed and stale. Default: all.',
  multiple: true,
  options: [...ARCHIVE_CHOICES],
})

import {Args, Errors, Flags} from '@oclif/core'

import {ARCHIVE_CHOICES} from './archive/choices.js'
import {STATUSES} from './classify/classify.js'

/** Flags that mean the same thing in every command, defined once. */

/**
 * A finite number (oclif has no float flag). NaN, Infinity and non-numbers are refused at parse time as a usage
 * error (exit 2): a CLIError carries oclif's exit code, where a plain Error would be reported as a bug (exit 1).
 */
export const numberFlag = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value))
      throw new Errors.CLIError(`expected a finite number, got "${input}"`, {exit: 2})
    return value
  },
})

export const yes = Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required without a terminal).'})

export const dryRun = Flags.boolean({description: 'Show what would happen and change nothing.'})

/** `--wide`: tables keep every character of reasons and paths instead of fitting the terminal. */
export const wide = Flags.boolean({
  description: 'Show reasons and paths whole instead of fitting the table to the terminal.',
})

/** How every command names an experiment (README "Names"). */
export const EXPERIMENT_HELP =
  'Experiment: its folder name, the name without its date when unique, or a path (experiments/<name>, ., ./x).'

/** The experiment argument (NAME) of every command that acts on one experiment. */
export function experimentArg(options: {description?: string; required: true}): ReturnType<typeof requiredString>
export function experimentArg(options?: {description?: string; required?: false}): ReturnType<typeof optionalString>
export function experimentArg(options: {description?: string; required?: boolean} = {}) {
  const description = options.description ?? EXPERIMENT_HELP
  return options.required ? requiredString(description) : optionalString(description)
}

const requiredString = (description: string) => Args.string({description, required: true})
const optionalString = (description: string) => Args.string({description})

/** `--run`: one run of the experiment, by id or a unique prefix. */
export function runFlag(description = 'Run id (or a unique prefix); default: the newest run.') {
  return Flags.string({description})
}

/** The metric's threshold: `--threshold`, with `--nrmse-threshold` kept as its alias. */
export function thresholdFlag(description: string) {
  return numberFlag({aliases: ['nrmse-threshold'], description})
}

export const statusFilter = Flags.string({
  description: 'Only experiments with this status (repeatable).',
  multiple: true,
  options: [...STATUSES],
})

/** The leaderboard CSV (promote writes it, leaderboard reads it): default `promote.leaderboard` in exp.yaml. */
export const leaderboardCsv = Flags.string({
  description: 'Leaderboard CSV file (default: promote.leaderboard in exp.yaml, reports/leaderboard.csv).',
})

/** `exp archive --status`: which finished experiments to archive (`all` = success, failed and stale; never active). */
export const archiveStatus = Flags.string({
  description: 'Archive the experiments with this status (repeatable); all = success, failed and stale. Default: all.',
  multiple: true,
  options: [...ARCHIVE_CHOICES],
})

/** The rclone remote and the folder under it (win over exp.yaml's remote.rclone_remote / remote.rclone_root). */
export const rcloneRemote = Flags.string({
  description: 'rclone remote holding the shared state, e.g. gdrive: (default: remote.rclone_remote in exp.yaml).',
})
export const rcloneRoot = Flags.string({
  description: 'Folder under the remote (default: remote.rclone_root in exp.yaml).',
})
export const rcloneFlags = {'rclone-remote': rcloneRemote, 'rclone-root': rcloneRoot}

/** The flags of the commands that change a graph node by hand (graph mark, graph reset). */
export const nodeEditFlags = {
  'dry-run': dryRun,
  reason: Flags.string({description: "Why (recorded in the node's history)."}),
}

const DURATION_UNITS: Record<string, number> = {d: 86_400_000, h: 3_600_000, w: 7 * 86_400_000}

/** A duration as `14d`, `36h` or `2w`, in milliseconds; anything else is a usage error (exit 2). */
export const durationFlag = Flags.custom<number>({
  parse: async (input) => {
    const match = /^(\d+(?:\.\d+)?)([dhw])$/.exec(input.trim())
    if (!match) throw new Errors.CLIError(`expected a duration such as 14d, 36h or 2w, got "${input}"`, {exit: 2})
    return Number(match[1]) * DURATION_UNITS[match[2]]
  },
})

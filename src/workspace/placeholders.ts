/** The placeholders of engine arguments and setup hooks (exp.yaml `engines`), checked by settings.ts and filled by a launch. */
export const PLACEHOLDERS = [
  'config',
  'experiment_dir',
  'experiment',
  'run_dir',
  'checkpoint_dir',
  'report',
  'run_id',
  'engine_dir',
  'python',
  'workspace',
  'input_checkpoint',
  'metrics',
] as const

/** `{name}` placeholders, and `{{`/`}}` for literal braces (as in Python's str.format). */
export const PLACEHOLDER_PATTERN = /\{\{|\}\}|\{([^{}]*)\}/g

/** `{name}` placeholders in an engine argument: each must be one exp knows how to fill. */
export function unknownPlaceholders(arg: string, known: readonly string[] = PLACEHOLDERS): string[] {
  return [...arg.matchAll(PLACEHOLDER_PATTERN)]
    .map((m) => m[1])
    .filter(
      (name): name is string => name !== undefined && !known.includes(name) && !/^local\.[A-Za-z0-9_-]+$/.test(name),
    )
}

/** The setup hook (`engines.setup`) runs in a variant folder before any run: it knows these placeholders. */
export const SETUP_PLACEHOLDERS = [
  'config',
  'variant_dir',
  'variant',
  'experiment_dir',
  'experiment',
  'engine_dir',
  'python',
  'workspace',
] as const

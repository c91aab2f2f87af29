import {z} from 'zod'

import {parseYamlDocument} from '../config/config-file.js'
import {ExpError} from '../errors.js'
import {PLACEHOLDERS, SETUP_PLACEHOLDERS, unknownPlaceholders} from './placeholders.js'

// in a module of their own, without zod and yaml: a launch fills placeholders, and loading zod cost it more than any
// of its own work
export {PLACEHOLDER_PATTERN, PLACEHOLDERS, SETUP_PLACEHOLDERS, unknownPlaceholders} from './placeholders.js'

/**
 * The schema of exp.yaml. Every section is optional and has defaults, so an empty exp.yaml is a valid workspace.
 * Objects are strict: an unknown key is an error naming it (a typo must never be silently ignored).
 */

const argvOf = (known: readonly string[]) =>
  z
    .array(z.string().min(1))
    .min(1)
    .superRefine((args, ctx) => {
      for (const [i, arg] of args.entries()) {
        for (const name of unknownPlaceholders(arg, known)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {${name}} (known: ${known.map((p) => `{${p}}`).join(' ')} {local.NAME}; write {{ and }} for literal braces)`,
            path: [i],
          })
        }
      }
    })
const argv = argvOf(PLACEHOLDERS)

const gate = z.strictObject({max: z.number().optional(), min: z.number().optional()})

const slurm = z.strictObject({
  account: z.string().optional(),
  cpus: z.number().int().positive().optional(),
  gpus: z.number().int().nonnegative().optional(),
  mem: z.string().optional(),
  partition: z.string().optional(),
  poll_interval: z.number().positive().default(60),
  sbatch_args: z.array(z.string()).default([]),
  /** lines placed before the engine command in every batch script (`module load …`, `conda activate {local.env}`) */
  setup: z.array(z.string()).default([]),
  time: z.string().optional(),
})

const vast = z.strictObject({
  auto_shutdown: z.boolean().default(true),
  disk: z.number().positive().default(20),
  gpu: z.string().optional(),
  image: z.string().default('python:3.11-slim'),
  loading_timeout_minutes: z.number().positive().default(30),
  max_offers: z.number().int().positive().default(3),
  max_price: z.number().positive().optional(),
  min_reliability: z.number().min(0).max(1).default(0.95),
  num_gpus: z.number().int().positive().default(1),
  poll_interval: z.number().positive().default(30),
  query: z.string().optional(),
})

export const settingsSchema = z.strictObject({
  backends: z
    .strictObject({
      default: z.enum(['local', 'slurm', 'vast']).default('local'),
      slurm: slurm.default(() => slurm.parse({})),
      vast: vast.default(() => vast.parse({})),
    })
    .default(() => ({default: 'local' as const, slurm: slurm.parse({}), vast: vast.parse({})})),
  base_config: z.string().default('configs/train_burgers_golden.yaml'),
  classification: z.strictObject({stale_days: z.number().positive().default(30)}).default({stale_days: 30}),
  cron: z
    .strictObject({
      command: z.string().default('archive --status all --older-than 14d --yes'),
      schedule: z.string().default('0 0 * * 0'),
    })
    .default({command: 'archive --status all --older-than 14d --yes', schedule: '0 0 * * 0'}),
  // evaluate: one argument list, or an evaluation suite (named evaluations, each its own stage evaluate:<name>);
  // finetune: the engine of work-graph finetune nodes (optional: train's otherwise)
  engines: z
    .strictObject({
      evaluate: z.union([
        argv,
        z
          .record(
            z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'an evaluation name is letters, digits, - and _'),
            argv,
          )
          .refine((m) => Object.keys(m).length > 0, 'name at least one evaluation'),
      ]),
      finetune: argv.optional(),
      setup: argvOf(SETUP_PLACEHOLDERS).optional(), // a sweep's setup hook, run in each variant folder
      train: argv,
    })
    .optional(),
  gates: z.record(z.string(), gate).optional(),
  graph: z.strictObject({path: z.string().default('work_graph.json')}).default({path: 'work_graph.json'}),
  paths: z
    .strictObject({
      archive: z.string().default('experiments-archive'),
      configs: z.string().default('configs'),
      experiments: z.string().default('experiments'),
      reports: z.string().default('reports'),
    })
    .default({archive: 'experiments-archive', configs: 'configs', experiments: 'experiments', reports: 'reports'}),
  promote: z
    .strictObject({
      direction: z.enum(['min', 'max']).default('min'),
      leaderboard: z.string().default('reports/leaderboard.csv'),
      metric: z.string().default('final_nrmse'),
      production_dir: z.string().optional(),
      threshold: z.number().optional(),
    })
    .default({direction: 'min', leaderboard: 'reports/leaderboard.csv', metric: 'final_nrmse'}),
  remote: z
    .strictObject({
      lease_seconds: z.number().positive().default(60),
      rclone_remote: z.string().optional(),
      rclone_root: z.string().default(''),
      settle_seconds: z.number().nonnegative().default(2),
    })
    .optional(),
  sweep: z
    .strictObject({
      abbreviations: z.record(z.string(), z.string()).default({}),
      columns: z
        .record(z.string(), z.string().regex(/^[^.]+(\.[^.]+)*$/, 'expected a key path such as training.learning_rate'))
        .default({}),
      templates: z.record(z.string().regex(/^\./, 'expected an extension such as .json'), z.string()).default({}),
    })
    .default({abbreviations: {}, columns: {}, templates: {}}),
  version: z.literal(1).default(1),
})

export type Settings = z.infer<typeof settingsSchema>
export type SlurmSettings = Settings['backends']['slurm']
export type VastSettings = Settings['backends']['vast']
export type RemoteSettings = NonNullable<Settings['remote']>

/** One line per problem, naming the key: `classification.stale_days: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  const where = issue.path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k))
    return `unknown key ${keys.map((k) => `"${k}"`).join(', ')}`
  }
  return `${where ? `"${where}"` : 'the file'}: ${issue.message}`
}

/** exp.yaml's text, parsed and validated: one line naming the file and the key for anything wrong. */
export function parseSettings(text: string, file: string): Settings {
  const raw = parseYamlDocument(text, file, 'INVALID_SETTINGS').toJS() ?? {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ExpError(`invalid ${file}: expected a mapping of settings.`, {code: 'INVALID_SETTINGS'})
  }
  const result = settingsSchema.safeParse(raw)
  if (!result.success)
    throw new ExpError(`invalid ${file}: ${describeIssues(result.error)}`, {code: 'INVALID_SETTINGS'})
  return result.data
}

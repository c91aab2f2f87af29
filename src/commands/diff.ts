import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {DiffResult} from '../compare/diff.js'
import {EXIT} from '../errors.js'

const SUBJECT =
  'An experiment, a variant (EXP/VARIANT), a run (EXP@RUN-ID) or a config file (a path, or a name in configs/).'

export default class Diff extends BaseCommand<typeof Diff> {
  static args = {
    a: Args.string({description: SUBJECT, required: true}),
    b: Args.string({description: SUBJECT, required: true}),
  }

  static description = `Prints the config keys whose values differ (nested keys flattened as model.latent_dim, typed values, lists
compared as values, a key on one side only shown as absent on the other), then the metrics of each side that has a
report. Exits 0 whether or not they differ; with --exit-code a difference exits 1, as git diff does.`

  static examples = [
    '<%= config.bin %> diff test-32dim test-64dim',
    '<%= config.bin %> diff test-64dim configs/train_burgers_golden.yaml --exit-code',
    '<%= config.bin %> diff test-64dim@20250122-101500-3f2a test-64dim --json',
  ]

  static flags = {
    'exit-code': Flags.boolean({
      description: 'Exit 1 when the configs differ, 0 when they do not (as git diff --exit-code).',
    }),
  }

  static summary =
    'The config keys that differ between two experiments, variants, runs or config files, and their metrics.'

  async run(): Promise<DiffResult> {
    const ws = await this.workspace()
    const {diffSubjects} = await import('../compare/diff.js')
    const result = await diffSubjects(ws, {a: this.args.a, b: this.args.b, cwd: process.cwd(), now: this.clock})
    if (this.flags['exit-code'] && !result.identical) process.exitCode = EXIT.failure
    if (this.jsonEnabled()) return result
    const {renderDiff} = await import('../compare/diff-render.js')
    this.log(renderDiff(result))
    return result
  }
}

import {compareFlags} from '../command-flags/compare.js'
import {BaseCommand} from '../base-command.js'
import type {CompareResult} from '../compare/compare.js'
import {EXIT, ExpError} from '../errors.js'
import type {Direction} from '../promote/gate.js'

export default class Compare extends BaseCommand<typeof Compare> {
  static description = `Each NAME is an experiment, a variant (EXP/VARIANT), a run (EXP@RUN-ID) or a config file. The columns are
the config keys that vary among them (nested keys flattened: model.latent_dim; lists compared as values), or those
named with --params, then their metrics; rows best first by --sort (default promote.metric and promote.direction
from exp.yaml), rows without that metric last.`

  static examples = [
    '<%= config.bin %> compare test-32dim test-64dim test-128dim',
    '<%= config.bin %> compare test-32dim test-64dim --params model.latent_dim --params training.lr --metrics final_nrmse',
    '<%= config.bin %> compare test-32dim test-64dim --sort accuracy --direction max --csv > compare.csv',
    '<%= config.bin %> compare test-64dim test-64dim@20250122-101500-3f2a configs/train_burgers_golden.yaml --md',
  ]

  static flags = compareFlags

  static strict = false

  static summary =
    'Experiments, variants, runs or configs side by side: the parameters that differ and the metrics, best first.'

  async run(): Promise<CompareResult> {
    const names = this.argvList
    if (names.length === 0)
      throw new ExpError('name at least one experiment, variant, run or config to compare.', {
        code: 'USAGE',
        exit: EXIT.usage,
        suggestion: 'exp compare test-32dim test-64dim',
      })
    const ws = await this.workspace()
    const {compareSubjects} = await import('../compare/compare.js')
    const result = await compareSubjects(ws, {
      cwd: process.cwd(),
      direction: this.flags.direction as Direction | undefined,
      metrics: this.flags.metrics,
      now: this.clock,
      params: this.flags.params,
      sort: this.flags.sort,
      subjects: names,
    })
    if (this.jsonEnabled()) return result
    const render = await import('../compare/render.js')
    if (this.flags.csv) process.stdout.write(await render.renderCompareCsv(result))
    else this.log(this.flags.md ? render.renderCompareMarkdown(result) : render.renderCompareTable(result))
    return result
  }
}

import {Flags} from '@oclif/core'
import path from 'node:path'

import {BaseCommand} from '../base-command.js'
import {experimentArg} from '../flags.js'
import type {ReportAllResult, ReportResult} from '../report/service.js'

export default class Report extends BaseCommand<typeof Report> {
  static args = {
    name: experimentArg(),
  }

  static description =
    'One self-contained HTML page per experiment (status and reason, hypothesis and notes, config against its base, runs on a timeline, evaluations per checkpoint, training curves, checkpoints, links to logs), or with --all every page and reports/index.html. No scripts, no network: open it anywhere or send it.'

  static examples = [
    '<%= config.bin %> report test-64dim',
    '<%= config.bin %> report test-64dim --out ~/share/test-64dim.html --open',
    '<%= config.bin %> report --all',
  ]

  static flags = {
    all: Flags.boolean({
      description: 'Every experiment (archived too) and reports/index.html linking them.',
      exclusive: ['name', 'out', 'open'],
    }),
    open: Flags.boolean({description: 'Open the page in the desktop browser (xdg-open / open).'}),
    out: Flags.string({
      description: 'Write the page here (default reports/NAME.html); only a page exp wrote is replaced.',
    }),
  }

  static summary = 'Self-contained HTML pages: an experiment, or --all with the workspace index.'

  async run(): Promise<ReportResult | ReportAllResult> {
    const ws = await this.workspace()
    const service = await import('../report/service.js')
    if (this.flags.all) {
      const r = await service.reportAll(ws, {log: (l) => this.note(l), now: this.clock})
      this.log(
        `Wrote ${r.index}; ${r.pages} page(s), ${r.pages_changed} changed: ${r.experiments} experiment(s), ${r.archived} archived.`,
      )
      for (const w of r.warnings) this.note(`Warning: ${w}`)
      return r
    }
    if (!this.args.name) this.error('name an experiment, or use --all.', {exit: 2})
    const r = await service.reportExperiment(ws, {
      log: (l) => this.note(l),
      name: this.args.name,
      now: this.clock,
      open: this.flags.open,
      out: this.flags.out === undefined ? undefined : path.resolve(this.flags.out),
    })
    this.log(`Wrote ${r.file}${r.opened ? ' (opened in the browser)' : ''}`)
    for (const w of r.warnings) this.note(`Warning: ${w}`)
    return r
  }
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {Status} from '../classify/classify.js'
import {listExperiments, type ListResult} from '../experiments/listing.js'
import {renderExperimentTable, renderSummary} from '../experiments/render.js'
import {renderVariantTable} from '../experiments/variants.js'
import {statusFilter} from '../flags.js'
import {wide} from '../flags-output.js'
import {outputStyle} from '../lib/format.js'

export default class List extends BaseCommand<typeof List> {
  static examples = ['<%= config.bin %> list', '<%= config.bin %> list --status failed --status stale', '<%= config.bin %> list --archived --json', '<%= config.bin %> list --variants']

  static flags = {
    archived: Flags.boolean({description: 'List the archive instead of experiments/.'}),
    status: statusFilter,
    variants: Flags.boolean({description: 'One row per variant of each sweep, with its parameter values.'}),
    wide,
  }

  static summary = 'Every experiment with its status (active, success, failed, stale) and the reason.'

  async run(): Promise<ListResult> {
    const ws = await this.workspace()
    const result = await listExperiments(ws, {archived: this.flags.archived, now: this.clock, status: this.flags.status as Status[] | undefined, variants: this.flags.variants})
    if (this.jsonEnabled()) return result // the table is text for people: never built for --json
    if (result.experiments.length === 0) this.log(this.flags.archived ? 'The archive is empty.' : 'No experiments match. Create one with: exp new NAME')
    else if (result.variants) this.log(result.variants.length > 0 ? renderVariantTable(result.variants, ws.settings.promote.metric) : 'No sweeps match: no variants to list.')
    else this.log(renderExperimentTable(result.experiments, ws.settings.promote.metric, outputStyle({wide: this.flags.wide})))
    this.log('')
    this.log(renderSummary(result.summary))
    for (const w of result.warnings) this.note(`Warning: ${w}`)
    return result
  }
}

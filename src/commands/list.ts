import {listFlags} from '../command-flags/list.js'
import {BaseCommand} from '../base-command.js'
import type {Status} from '../classify/classify.js'
import {listExperiments, type ListResult} from '../experiments/listing.js'
import {renderListText} from '../experiments/list-text.js'
import type {ListFormat} from '../experiments/render.js'

export default class List extends BaseCommand<typeof List> {
  static examples = [
    '<%= config.bin %> list',
    '<%= config.bin %> list --status failed --status stale',
    '<%= config.bin %> list --params model.latent_dim --sort final_nrmse --limit 5',
    "<%= config.bin %> list --where 'final_nrmse<0.05' --format md",
    '<%= config.bin %> list --archived --json',
    '<%= config.bin %> list --variants',
  ]

  static flags = listFlags

  static summary =
    'Every experiment with its status (active, success, failed, stale), what it is doing, and the reason.'

  async run(): Promise<ListResult> {
    const {flags} = this
    const ws = await this.workspace()
    const query =
      flags.params || flags.sort || flags.limit || flags.where
        ? {limit: flags.limit, params: flags.params, sort: flags.sort, where: flags.where}
        : undefined
    const result = await listExperiments(ws, {
      archived: flags.archived,
      now: this.clock,
      query,
      status: flags.status as Status[] | undefined,
      variants: flags.variants,
    })
    if (this.jsonEnabled()) return result // the table is text for people: never built for --json
    const metric = ws.settings.promote.metric
    const params = flags.params ?? []
    if (flags.format !== 'table' && !result.variants) {
      const {renderListAs} = await import('../experiments/list-formats.js')
      this.log(await renderListAs(flags.format as Exclude<ListFormat, 'table'>, result.experiments, metric, params))
      return result
    }
    this.log(renderListText(result, {archived: flags.archived, metric, params, wide: flags.wide}))
    for (const w of result.warnings) this.note(`Warning: ${w}`)
    return result
  }
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {CatalogResult} from '../curate/configs.js'
import {EXIT} from '../errors.js'
import {renderTable} from '../lib/table.js'

export default class Configs extends BaseCommand<typeof Configs> {
  static description = `Each config in the production folder (configs/, or promote.production_dir) with its provenance, from the header
exp promote writes: promoted (experiment, promoted at, metric; the content still has the recorded sha256), edited
since promotion (it does not), no provenance (a file exp did not write), or base config (base_config in exp.yaml);
its kept history versions (.history/) and how many experiments were created from it. --check exits 1 when a config
other than the base config has no provenance or was edited, for CI.`

  static examples = [
    '<%= config.bin %> configs',
    '<%= config.bin %> configs --check',
    '<%= config.bin %> configs --json',
  ]

  static flags = {
    check: Flags.boolean({
      description: 'Exit 1 when any config (the base config aside) has no provenance or was edited since promotion.',
    }),
  }

  static summary =
    'The catalog of production configs: where each came from, edited or not, history, experiments made from it.'

  async run(): Promise<CatalogResult> {
    const ws = await this.workspace()
    const {configCatalog} = await import('../curate/configs.js')
    const result = await configCatalog(ws)
    if (this.flags.check && result.problems.length > 0) process.exitCode = EXIT.failure
    if (this.jsonEnabled()) return result
    if (result.configs.length === 0) this.log(`No configs in ${result.production_dir}/.`)
    else {
      const rows = result.configs.map((c) => {
        const p = c.provenance
        const from = p
          ? `${p.experiment ?? '?'}, ${p.promoted_at ?? '?'}${p.metric ? `, ${p.metric.replace(/ \(.*$/, '')}` : ''}`
          : undefined
        return [c.file, c.label, from, c.history.length, c.experiments]
      })
      this.log(renderTable(['config', 'provenance', 'promoted from', 'history', 'experiments'], rows))
    }
    if (this.flags.check) {
      for (const p of result.problems) this.note(`Check: ${p}`)
      this.log(
        result.problems.length === 0
          ? 'Check passed: every config has its provenance, unedited.'
          : `Check failed: ${result.problems.length} config${result.problems.length === 1 ? '' : 's'} without provenance or edited.`,
      )
    }
    return result
  }
}

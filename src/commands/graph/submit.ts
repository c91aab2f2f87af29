import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {graphOf} from '../../command-context.js'
import {EXIT, ExpError} from '../../errors.js'
import {dryRun} from '../../flags.js'
import type {SubmitGraphResult} from '../../graph/submit.js'

export default class GraphSubmit extends BaseCommand<typeof GraphSubmit> {
  static description = `Every not_started node whose dependencies are all in the graph becomes one SLURM job at once, waiting for its
dependencies' jobs (--dependency=afterok:<jobs> --kill-on-invalid-dep=yes); completed dependencies need no
dependency. The whole graph then runs with no exp process alive; any later graph command brings the statuses up to
date from the jobs' end records. noop nodes need no job; paper nodes wait for a person.`

  static examples = ['<%= config.bin %> graph submit --slurm --dry-run', '<%= config.bin %> graph submit --slurm']

  static flags = {
    'dry-run': dryRun,
    slurm: Flags.boolean({description: 'Submit to SLURM (the only engine for a whole graph so far).', required: true}),
  }

  static summary = 'Submit the whole work graph to SLURM as dependent jobs.'

  async run(): Promise<SubmitGraphResult> {
    const ws = await this.workspace()
    if (!this.flags.slurm) throw new ExpError('graph submit needs --slurm.', {code: 'USAGE', exit: EXIT.usage})
    const {checkGraph} = await import('../../graph/check.js')
    const {submitGraph} = await import('../../graph/submit.js')
    const store = await graphOf(ws, this.clock)
    await checkGraph(ws, store)
    const chatty = !this.jsonEnabled()
    const result = await submitGraph(ws, {
      dryRun: this.flags['dry-run'],
      log: (line) => chatty && this.log(line),
      now: this.clock,
      store,
    })
    if (result.dry_run) {
      for (const s of result.submitted)
        this.log(`Would submit ${s.id} (${s.action})${s.after.length > 0 ? ` after ${s.after.join(', ')}` : ''}.`)
    }
    for (const s of result.skipped) this.log(`Not submitted: ${s.id}: ${s.why}`)
    const failed = result.submitted.filter((s) => s.error)
    if (!result.dry_run)
      this.log(
        `Submitted ${result.submitted.length - failed.length} node(s); graph version ${result.version}. Follow it: exp graph show`,
      )
    if (failed.length > 0) process.exitCode = EXIT.failure
    return result
  }
}

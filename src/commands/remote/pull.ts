import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {remoteOf} from '../../command-context.js'
import {dryRun, rcloneFlags} from '../../flags.js'
import {isInteractive} from '../../lib/terminal.js'
import type {PulledExperiment} from '../../remote/sync.js'
import type {PullPlan} from '../../remote/sync-plan.js'

export default class RemotePull extends BaseCommand<typeof RemotePull> {
  static args = {names: Args.string({description: 'Experiments to pull (default: every one on the remote).'})}
  static description = `Downloads each experiment's small files into experiments/<name>/: new files are added, a file that
differs is replaced only when the remote copy is newer (the local one is kept, and listed, otherwise). With
--checkpoints, every checkpoint missing here is downloaded and verified against its manifest (sizes and sha256)
before it takes its final name.`

  static examples = [
    '<%= config.bin %> remote pull',
    '<%= config.bin %> remote pull --checkpoints --dry-run',
    '<%= config.bin %> remote pull test-64dim --checkpoints',
  ]
  static flags = {
    checkpoints: Flags.boolean({description: 'Also download (and verify) the checkpoints missing here.'}),
    'dry-run': dryRun,
    ...rcloneFlags,
  }

  static strict = false
  static summary = 'Download experiments (and, with --checkpoints, their checkpoints) from the rclone remote.'

  async run(): Promise<{dry_run: boolean; experiments: PulledExperiment[] | PullPlan[]}> {
    const ws = await this.workspace()
    const {pullExperiments} = await import('../../remote/sync.js')
    const remote = await remoteOf(ws, this.flags)
    const quiet = this.jsonEnabled()
    if (this.flags['dry-run']) {
      const {planPull} = await import('../../remote/sync-plan.js')
      const plan = await planPull(ws, remote, {checkpoints: this.flags.checkpoints, names: this.argvList})
      for (const p of plan) {
        const cps = p.checkpoints.length > 0 ? `; checkpoint(s) ${p.checkpoints.join(', ')}` : ''
        this.log(
          `${p.name}: would add ${p.add.length}, update ${p.update.length}, keep ${p.keep_local.length} (local is newer)${cps}`,
        )
      }
      this.note(`Dry run: nothing copied from ${remote.rclone.path()}.`)
      return {dry_run: true, experiments: plan}
    }
    const experiments = await pullExperiments(ws, remote, {
      checkpoints: this.flags.checkpoints,
      log: (l) => !quiet && this.log(l),
      names: this.argvList,
      progress: !quiet && isInteractive(),
    })
    return {dry_run: false, experiments}
  }
}

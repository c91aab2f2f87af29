import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {remoteOf} from '../../command-context.js'
import {dryRun, rcloneFlags} from '../../flags.js'
import {isInteractive} from '../../lib/terminal.js'
import type {PushedExperiment} from '../../remote/sync.js'
import type {PushPlan} from '../../remote/sync-plan.js'

export default class RemotePush extends BaseCommand<typeof RemotePush> {
  static args = {names: Args.string({description: 'Experiments to push (default: every active one).'})}
  static description = `Uploads each experiment's small files (config, notes, metadata, reports, run records, logs) to
<root>/experiments/<name>/ and every checkpoint missing there to <root>/experiments/<name>/checkpoints/<run-id>/, each
through a temporary name first, so the remote never holds half a file under its final name. A checkpoint already
there with another manifest is refused, never overwritten.`

  static examples = [
    '<%= config.bin %> remote push',
    '<%= config.bin %> remote push --dry-run',
    '<%= config.bin %> remote push test-64dim --rclone-remote gdrive: --rclone-root research/papers/vectur/code',
  ]
  static flags = {'dry-run': dryRun, ...rcloneFlags}
  static strict = false
  static summary = 'Upload experiments and their checkpoints to the rclone remote.'

  async run(): Promise<{dry_run: boolean; experiments: PushedExperiment[] | PushPlan[]}> {
    const ws = await this.workspace()
    const {pushExperiments} = await import('../../remote/sync.js')
    const remote = await remoteOf(ws, this.flags)
    const names = this.argvList
    const quiet = this.jsonEnabled()
    if (this.flags['dry-run']) {
      const {planPush} = await import('../../remote/sync-plan.js')
      const plan = await planPush(ws, remote, names)
      for (const p of plan) {
        const upload = p.checkpoints.filter((c) => c.upload).map((c) => c.run_id)
        this.log(
          `${p.name}: would push ${p.files} file(s) (${p.bytes} bytes)${upload.length > 0 ? ` and checkpoint(s) ${upload.join(', ')}` : ''}`,
        )
      }
      this.note(`Dry run: nothing copied to ${remote.rclone.path()}.`)
      return {dry_run: true, experiments: plan}
    }
    const experiments = await pushExperiments(ws, remote, {
      log: (l) => !quiet && this.log(l),
      names,
      progress: !quiet && isInteractive(),
    })
    if (!quiet) this.log(`Pushed ${experiments.length} experiment(s) to ${remote.rclone.path()}.`)
    return {dry_run: false, experiments}
  }
}

import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {rcloneRemote, rcloneRoot} from '../../flags.js'
import {isInteractive} from '../../lib/terminal.js'
import type {PushedExperiment} from '../../remote/sync.js'

export default class RemotePush extends BaseCommand<typeof RemotePush> {
  static args = {names: Args.string({description: 'Experiments to push (default: every active one).'})}
  static description = `Uploads each experiment's small files (config, notes, metadata, reports, run records, logs) to
<root>/experiments/<name>/ and every checkpoint missing there to <root>/experiments/<name>/checkpoints/<run-id>/, each
through a temporary name first, so the remote never holds half a file under its final name. A checkpoint already
there with another manifest is refused, never overwritten.`

  static examples = ['<%= config.bin %> remote push', '<%= config.bin %> remote push test-64dim --rclone-remote gdrive: --rclone-root research/papers/vectur/code']
  static flags = {'rclone-remote': rcloneRemote, 'rclone-root': rcloneRoot}
  static strict = false
  static summary = 'Upload experiments and their checkpoints to the rclone remote.'

  async run(): Promise<{experiments: PushedExperiment[]}> {
    const ws = await this.workspace()
    const {openRemote} = await import('../../remote/remote.js')
    const {pushExperiments} = await import('../../remote/sync.js')
    const remote = openRemote(ws, {rcloneRemote: this.flags['rclone-remote'], rcloneRoot: this.flags['rclone-root']})
    const names = this.argvList
    const quiet = this.jsonEnabled()
    const experiments = await pushExperiments(ws, remote, {log: (l) => !quiet && this.log(l), names, progress: !quiet && isInteractive()})
    if (!quiet) this.log(`Pushed ${experiments.length} experiment(s) to ${remote.rclone.path()}.`)
    return {experiments}
  }
}

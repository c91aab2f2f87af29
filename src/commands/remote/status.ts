import {BaseCommand} from '../../base-command.js'
import {remoteOf} from '../../command-context.js'
import {rcloneFlags} from '../../flags.js'
import {renderTable} from '../../lib/table.js'
import type {RemoteStatus} from '../../remote/status.js'

export default class RemoteStatusCommand extends BaseCommand<typeof RemoteStatusCommand> {
  static examples = ['<%= config.bin %> remote status', '<%= config.bin %> remote status --json']
  static flags = {...rcloneFlags}
  static summary = 'Show the remote, its lease holders, and which experiments are local-only, remote-only or different.'

  async run(): Promise<RemoteStatus> {
    const ws = await this.workspace()
    const {remoteStatus} = await import('../../remote/status.js')
    const remote = await remoteOf(ws, this.flags)
    const result = await remoteStatus(ws, remote, this.clock())
    this.log(`Remote: ${result.remote}`)
    if (result.leases.length === 0) this.log('Lease: free')
    for (const l of result.leases)
      this.log(`Lease: ${l.holder} — ${l.state}${l.expires ? `, expires ${l.expires}` : ''}`)
    const count = (list: string[]) => (list.length > 0 ? String(list.length) : '')
    const rows = result.experiments.map((e) => [
      e.name,
      e.state,
      count(e.local_only),
      count(e.remote_only),
      count(e.different),
    ])
    if (rows.length > 0) this.log(renderTable(['EXPERIMENT', 'STATE', 'LOCAL ONLY', 'REMOTE ONLY', 'DIFFERENT'], rows))
    else this.log('No experiments here or on the remote.')
    return result
  }
}

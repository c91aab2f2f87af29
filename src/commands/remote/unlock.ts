import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {remoteOf} from '../../command-context.js'
import {dryRun, rcloneFlags, yes} from '../../flags.js'
import type {UnlockResult} from '../../remote/unlock.js'

export default class RemoteUnlock extends BaseCommand<typeof RemoteUnlock> {
  static description = `Lists every lease in <root>/locks/ with its holder. Expired leases are removed; a live one only with
--force (for a holder you know is gone: a killed process, a lost machine), after confirmation. The queue tickets of
machines waiting for the lease are listed too: expired ones are removed, live ones with --force.`

  static examples = ['<%= config.bin %> remote unlock', '<%= config.bin %> remote unlock --force --yes']
  static flags = {
    'dry-run': dryRun,
    force: Flags.boolean({description: 'Also remove a live lease (its holder must be gone) and live queue tickets.'}),
    ...rcloneFlags,
    yes,
  }

  static summary = "Show the remote lease's holder and remove the lease."

  async run(): Promise<UnlockResult> {
    const ws = await this.workspace()
    const {unlockRemote} = await import('../../remote/unlock.js')
    const remote = await remoteOf(ws, this.flags)
    const sure = this.flags.yes
    const result = await unlockRemote(remote, {
      confirm: async (live) =>
        this.ask({
          message: `Remove the live lease of ${live.map((l) => l.body?.holder ?? l.name).join(', ')}?`,
          needs: 'removing a live lease',
          yes: sure,
        }),
      dryRun: this.flags['dry-run'],
      force: this.flags.force,
      now: this.clock(),
    })
    if (result.leases.length === 0) this.log('No lease on the remote.')
    for (const l of result.leases)
      this.log(
        `${l.removed ? 'Removed' : result.dry_run ? 'Would remove' : 'Kept'} the ${l.state} lease of ${l.holder}.`,
      )
    const forced = this.flags.force || false
    for (const t of result.tickets) {
      const would = result.dry_run && (forced || t.state === 'expired')
      this.log(`${t.removed ? 'Removed' : would ? 'Would remove' : 'Kept'} the ${t.state} queue ticket of ${t.holder}.`)
    }
    return result
  }
}

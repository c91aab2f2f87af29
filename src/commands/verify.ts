import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {dryRun} from '../flags.js'
import {EXIT} from '../errors.js'
import {formatBytes} from '../archive/render.js'
import type {VerifyResult} from '../verify/verify.js'

export default class Verify extends BaseCommand<typeof Verify> {
  static description = `Each checkpoint folder (checkpoints/<run-id>/) is checked against the MANIFEST.json exp wrote when its train
completed: every file there with its size, nothing extra, symbolic links inside the experiment, engines' own sidecars
(<file>.sha256, <file>.json with "sha256") agreeing, and, unless --quick, every file's sha256. One line per problem;
exit 1 if there is any. --adopt writes a manifest, marked adopted, for a named experiment's checkpoints that have none.`

  static examples = ['<%= config.bin %> verify test-64dim', '<%= config.bin %> verify --all --archived --quick', '<%= config.bin %> verify --adopt test-64dim', '<%= config.bin %> verify --adopt test-64dim --dry-run', '<%= config.bin %> verify --all --json']

  static flags = {
    adopt: Flags.boolean({description: 'Write a manifest (marked adopted) for the named experiments\' checkpoints that have none.'}),
    all: Flags.boolean({description: 'Every experiment in experiments/ (with --archived, the archive too).'}),
    archived: Flags.boolean({description: 'With --all: the archived experiments too.'}),
    'dry-run': dryRun,
    quick: Flags.boolean({description: 'Names and sizes only: no file is read.'}),
  }

  static strict = false

  static summary = 'Check checkpoints against their manifests (sizes, and sha256 unless --quick).'

  async run(): Promise<VerifyResult> {
    const ws = await this.workspace()
    const {verifyCheckpoints} = await import('../verify/verify.js')
    const bar = Boolean(process.stderr.isTTY) && !this.jsonEnabled() && !this.flags.quick ? progressLine() : undefined
    const result = await verifyCheckpoints(ws, {...this.flags, dryRun: this.flags['dry-run'], names: this.argvList, now: this.clock, onProgress: bar?.update})
    bar?.done()
    for (const p of result.would_adopt ?? []) this.log(`${p}: would be adopted (no manifest; nothing written)`)
    for (const c of result.checkpoints.filter((c) => c.adopted_now)) this.log(`${c.path}: adopted (${c.files} files, ${formatBytes(c.bytes)})`)
    for (const line of result.problems) this.log(line)
    const corrupt = result.checkpoints.filter((c) => c.state !== 'committed').length
    const how = result.quick ? 'quick check' : `${formatBytes(result.hashed_bytes)} hashed in ${(result.duration_ms / 1000).toFixed(1)}s`
    this.note(`${result.checkpoints.length} checkpoint${result.checkpoints.length === 1 ? '' : 's'}: ${result.checkpoints.length - corrupt} good, ${corrupt} with problems (${how}).`)
    process.exitCode = result.problems.length > 0 ? EXIT.failure : EXIT.ok
    return result
  }
}

/** `hashing 1.2 GB / 4.0 GB (850 MB/s)` rewritten in place on stderr, a terminal only. */
function progressLine() {
  const started = Date.now()
  let done = 0
  let last = 0
  return {
    done: () => process.stderr.write('\r\u001B[K'),
    update: (bytes: number, total: number) => {
      done += bytes
      const now = Date.now()
      if (now - last < 100) return
      last = now
      const rate = done / Math.max(0.001, (now - started) / 1000)
      process.stderr.write(`\r\u001B[Khashing ${formatBytes(done)} / ${formatBytes(total)} (${formatBytes(rate)}/s)`)
    },
  }
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {dryRun} from '../flags.js'
import type {VerifyResult} from '../verify/verify.js'

export default class Verify extends BaseCommand<typeof Verify> {
  static description = `Each checkpoint folder (checkpoints/<run-id>/) is checked against the MANIFEST.json exp wrote when its train
completed: every file there with its size, nothing extra, symbolic links inside the experiment, engines' own sidecars
(<file>.sha256, <file>.json with "sha256") agreeing, and, unless --quick, every file's sha256. One line per problem;
exit 1 if there is any. --adopt writes a manifest, marked adopted, for a named experiment's checkpoints that have none.`

  static examples = [
    '<%= config.bin %> verify test-64dim',
    '<%= config.bin %> verify --all --archived --quick',
    '<%= config.bin %> verify --adopt test-64dim',
    '<%= config.bin %> verify --adopt test-64dim --dry-run',
    '<%= config.bin %> verify --all --json',
  ]

  static flags = {
    adopt: Flags.boolean({
      description: "Write a manifest (marked adopted) for the named experiments' checkpoints that have none.",
    }),
    all: Flags.boolean({description: 'Every experiment in experiments/ (with --archived, the archive too).'}),
    archived: Flags.boolean({description: 'With --all: the archived experiments too.'}),
    'dry-run': dryRun,
    quick: Flags.boolean({description: 'Names and sizes only: no file is read.'}),
  }

  static strict = false

  static summary = 'Check checkpoints against their manifests (sizes, and sha256 unless --quick).'

  async run(): Promise<VerifyResult> {
    const ws = await this.workspace()
    const [{verifyCheckpoints}, {hashingProgress, renderVerify}] = await Promise.all([
      import('../verify/verify.js'),
      import('../verify/render.js'),
    ])
    const bar =
      Boolean(process.stderr.isTTY) && !this.jsonEnabled() && !this.flags.quick ? hashingProgress() : undefined
    const result = await verifyCheckpoints(ws, {
      ...this.flags,
      dryRun: this.flags['dry-run'],
      names: this.argvList,
      now: this.clock,
      onProgress: bar?.update,
    })
    bar?.done()
    const {exit, lines, note} = renderVerify(result)
    for (const line of lines) this.log(line)
    this.note(note)
    process.exitCode = exit
    return result
  }
}

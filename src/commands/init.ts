import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {initWorkspace, type InitResult} from '../workspace/init.js'

export default class Init extends BaseCommand<typeof Init> {
  static args = {
    dir: Args.string({default: '.', description: 'Folder to make a workspace (created if missing).'}),
  }

  static description = `Creates exp.yaml, the experiments/, experiments-archive/, configs/ and reports/ folders (each with a README),
the golden config of the embedded engine, and .gitignore lines that keep checkpoints out of git.
Safe to run again: existing files are never overwritten.`

  static examples = ['<%= config.bin %> init', '<%= config.bin %> init ~/research/burgers']

  static summary = 'Make a folder an exp workspace.'

  async run(): Promise<InitResult> {
    const result = await initWorkspace(this.args.dir)
    this.log(`Workspace ready at ${result.root}`)
    for (const file of result.created) this.log(`  created ${file}`)
    if (result.kept.length > 0) this.log(`  kept ${result.kept.length} existing file(s) as they were`)
    this.log(`Next: cd ${result.root} && exp new my-first-experiment`)
    return result
  }
}

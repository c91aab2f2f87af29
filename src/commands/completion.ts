import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {completionScript, type Shell, SHELLS} from '../completion/scripts.js'

export default class Completion extends BaseCommand<typeof Completion> {
  static args = {
    shell: Args.string({description: 'The shell (default: the one $SHELL names).', options: [...SHELLS]}),
  }

  static description = `Prints a shell function that completes command names, flags, enum flag values (--status, --backend,
--stage, ...), experiment names (active or archived, as the command takes them), EXP/VARIANT names and run ids
after --run. Load it from your shell's start-up file: eval "$(exp completion bash)" in ~/.bashrc,
eval "$(exp completion zsh)" in ~/.zshrc. Where exp has nothing to offer, the shell completes file names.`

  static examples = ['<%= config.bin %> completion bash', '<%= config.bin %> completion zsh']

  static summary = 'Print the shell completion script (bash or zsh), names and flag values included.'

  async run(): Promise<{script: string; shell: Shell}> {
    const fromEnv = (process.env.SHELL ?? '').split('/').at(-1)
    const shell = (this.args.shell ?? (fromEnv === 'zsh' ? 'zsh' : 'bash')) as Shell
    const script = completionScript(shell)
    if (!this.jsonEnabled()) process.stdout.write(script)
    return {script, shell}
  }
}

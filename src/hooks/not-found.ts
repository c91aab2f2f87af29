import {type Hook, toConfiguredId} from '@oclif/core'

import {closest} from '../lib/closest.js'

/**
 * An unknown command (`exp lsit`): one line naming the closest command, and exit 127 — never a prompt, so Enter can
 * never run a command the person did not type (oclif's not-found plugin asks "Did you mean init? (Y/n)", default
 * yes). Under --json the line is exp's error shape on stdout.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  // `exp list extra` reaches here as the id list:extra: a command given an argument it does not take, which the
  // command itself reports (a usage error, exit 2), not an unknown command
  const words = opts.id.split(':')
  for (let n = words.length - 1; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (opts.config.findCommand(id)) return opts.config.runCommand(id, [...words.slice(n), ...(opts.argv ?? [])])
  }
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const typed = toConfiguredId(opts.id, opts.config)
  const near = closest(opts.id, ids)
  const message = `"${typed}" is not an ${opts.config.bin} command.${near ? ` Did you mean "${opts.config.bin} ${toConfiguredId(near, opts.config)}"?` : ''}`
  const suggestion = `${opts.config.bin} --help`
  if ((opts.argv ?? []).includes('--json')) {
    process.stdout.write(
      JSON.stringify({error: {code: 'NOT_A_COMMAND', exit: 127, message, suggestion}}, null, 2) + '\n',
    )
  } else {
    process.stderr.write(`Error: ${message} Try: ${suggestion}\n`)
  }
  // oclif's own exit: the process ends with 127 and nothing else is printed
  this.exit(127)
}

export default hook

/**
 * The start-up fast path's runner (bin/run.cjs calls it for a command the build bundled into dist/fast/): parse argv
 * from the manifest's specs, then run the command class — bundled against src/fastpath/lite-core.ts instead of
 * @oclif/core — as oclif would. Answers false, having done nothing, when oclif must take the call.
 */
import {type ManifestCommand, parseArgv} from './argv.js'
import type {Parsed} from './lite-core.js'

interface FastCommand {
  baseFlags?: Record<string, never>
  flags?: Record<string, never>
  new (argv: string[], parsed: Parsed): {_run(): Promise<unknown>}
}

export async function runFast(command: FastCommand, spec: ManifestCommand, argv: string[]): Promise<boolean> {
  const parsed = await parseArgv(argv, spec, {...command.baseFlags, ...command.flags})
  if (!parsed) return false
  try {
    // the command's id, as oclif sets it: a usage error's `Try: exp <id> --help` names it
    await Object.assign(new command(argv, parsed), {id: (spec as ManifestCommand & {id?: string}).id})._run()
  } catch (error) {
    // what BaseCommand hands back to oclif (its own usage errors): printed and exited as oclif's handler does
    const err = error as Error & {code?: string; oclif?: {exit?: number}}
    if (err.code !== 'EEXIT') console.error(` ›   Error: ${err.message}`)
    process.exit(err.oclif?.exit ?? 1)
  }
  return true
}

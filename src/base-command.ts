import {Command, Flags, type Interfaces} from '@oclif/core'

import {EXIT, ExpError, filesystemError, isExpError, messageOf} from './errors.js'
import {isInteractive} from './lib/terminal.js'
import {type Clock, logStamp, systemClock} from './lib/time.js'
import {setRecoveryHandlers} from './workspace/recovery-hook.js'
import {openWorkspace, type Workspace} from './workspace/workspace.js'

// the recovery of interrupted steps, loaded only when a journal entry is found (nothing to load at start-up)
setRecoveryHandlers(() => import('./recovery-handlers.js'))

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The base of every exp command: `--json` on every command, the global `--root` (EXP_ROOT), and one place that
 * turns expected failures (ExpError) into one line on stderr (or a JSON error) and the documented exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static baseFlags = {
    root: Flags.string({
      description: 'Workspace root (default: the nearest folder holding exp.yaml).',
      env: 'EXP_ROOT',
      helpGroup: 'GLOBAL',
    }),
  }

  static enableJsonFlag = true

  protected args!: CommandArgs<T>
  /** every positional argument, for commands that take many (`static strict = false`) */
  protected argvList: string[] = []
  protected flags!: CommandFlags<T>
  protected clock: Clock = systemClock

  public async init(): Promise<void> {
    await super.init()
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.argvList = argv.map(String)
  }

  /**
   * With EXP_LOG_TIMESTAMPS=1 (set by the line \`exp cron install\` writes) every line exp prints starts with
   * \`[YYYY-MM-DD HH:MM:SS] \`, so a log that a job appends to week after week says when each line was written.
   */
  public log(message = '', ...args: unknown[]): void {
    super.log(stamped(message), ...args)
  }

  public logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(stamped(message), ...args)
  }

  /**
   * --json output as plain JSON: oclif's default runs a colouriser over the whole text (0.4 s of CPU for the
   * 5 MB a listing of 10,000 experiments prints); exp sets no JSON colour theme, so the bytes are the same.
   */
  public logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  protected async workspace(): Promise<Workspace> {
    return openWorkspace({root: this.flags.root})
  }

  /**
   * The one confirm policy of every command that asks: `--yes` answers yes; on a terminal (and not under --json) the
   * question is asked, after `list` is shown; without one the command refuses (exit 2) and says to add --yes.
   * Returns the answer (false: the person said no, or pressed Ctrl-C / Esc).
   */
  protected async ask(question: {
    default?: boolean
    list?: string
    message: string
    needs: string
    suggestion?: string
    yes: boolean | undefined
  }): Promise<boolean> {
    if (question.yes) return true
    if (!isInteractive() || this.jsonEnabled()) {
      throw new ExpError(`${question.needs} needs confirmation and there is no terminal to ask on.`, {
        code: 'NEEDS_YES',
        exit: EXIT.usage,
        suggestion: question.suggestion ?? 'add --yes, or --dry-run to see what would happen.',
      })
    }
    if (question.list) this.log(question.list)
    const {confirm} = await import('@inquirer/prompts')
    return confirm({default: question.default ?? false, message: question.message}).catch(() => false)
  }

  /** ask(), and a "cancelled" refusal (exit 2) when the answer is no. */
  protected async confirmOrCancel(question: Parameters<BaseCommand<T>['ask']>[0] & {cancelled: string}): Promise<void> {
    if (!(await this.ask(question))) throw new ExpError(question.cancelled, {code: 'CANCELLED', exit: EXIT.usage})
  }

  /** A warning for a person: stderr, silent under --json (where it is part of the result instead). */
  protected note(line: string): void {
    this.logToStderr(line)
  }

  protected async catch(thrown: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // a full disk, a read-only mount, a folder where a file belongs: the person's to fix, so one line, not a bug
    const error = filesystemError(thrown) ?? thrown
    if (isExpError(error)) {
      process.exitCode = error.exit
      if (this.jsonEnabled()) {
        this.logJson({
          error: {code: error.code, exit: error.exit, message: error.message, suggestion: error.suggestion},
        })
      } else {
        this.logToStderr(`Error: ${error.oneLine}`)
      }
      return
    }
    // oclif's usage errors (unknown flag, missing argument, bad value): one line and exit 2 — under --json exp's
    // error shape — instead of oclif's boxed message with notes and the whole help after it
    if (
      error.oclif &&
      ('parse' in error || (error.oclif.exit === EXIT.usage && (error as {code?: string}).code !== 'EEXIT'))
    ) {
      const exit = error.oclif.exit === undefined || error.oclif.exit === 1 ? EXIT.usage : error.oclif.exit
      const suggestion = `exp ${this.id?.replaceAll(':', ' ') ?? ''} --help`.replace('  ', ' ')
      process.exitCode = exit
      if (this.jsonEnabled())
        this.logJson({error: {code: 'USAGE', exit, message: usageLine(error.message), suggestion}})
      else this.logToStderr(`Error: ${usageLine(error.message)} Try: ${suggestion}`)
      return
    }
    if (error.oclif || process.env.DEBUG) return super.catch(error)
    process.exitCode = EXIT.failure
    if (this.jsonEnabled()) this.logJson({error: {code: 'UNEXPECTED', exit: EXIT.failure, message: messageOf(error)}})
    else
      this.logToStderr(`Error: ${messageOf(error)} (this is a bug in exp; run again with DEBUG=1 for the stack trace)`)
  }
}

/**
 * oclif's usage message in one line: its first line, and for "Missing 1 required arg:" the argument's name from the
 * next (`Missing 1 required arg: name`), for "Parsing --flag" the reason; oclif's notes and "See more help" are dropped.
 */
function usageLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const first = lines[0] ?? 'invalid arguments'
  if (/^Parsing --/.test(first) && lines[1]) return `${first.trim()}: ${lines[1]}`
  return first.endsWith(':') && lines[1] ? `${first} ${lines[1].split(/\s{2,}/)[0]}` : first
}

function stamped(message: string): string {
  if (process.env.EXP_LOG_TIMESTAMPS !== '1') return message
  const stamp = `[${logStamp(new Date())}]`
  return message
    .split('\n')
    .map((line) => `${stamp} ${line}`)
    .join('\n')
}

/**
 * The part of @oclif/core that exp's hot commands touch, for the start-up fast path (src/fastpath/README in the
 * README's performance section): the build bundles those commands a second time with `@oclif/core` aliased to this
 * module (dist/fast/), so `exp list` runs the very same command class — same service call, same rendering — without
 * loading oclif's Config, plugins and parser. Flag and argument factories return their options (the manifest holds
 * the same specs); parsing is done beforehand by src/fastpath/argv.ts from the manifest; the Command base keeps
 * oclif's output and exit-code behaviour (log, logToStderr, logJson, jsonEnabled, catch, the --json result).
 */
import {format, inspect} from 'node:util'

type Options = Record<string, unknown>

// as oclif's Command module does: a reader that closes the pipe (`exp list | head`) is not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
})

/** Thrown by a flag's parse (or anything here) when the fast path must give the call to oclif instead. */
export class Fallback extends Error {}

class CLIError extends Error {
  oclif: {exit: number}
  constructor(message: string, options: {exit?: number} = {}) {
    super(message)
    this.oclif = {exit: options.exit ?? 2}
  }
}

export const Errors = {CLIError}

export const Flags = {
  boolean: (options: Options = {}) => ({...options, type: 'boolean'}),
  custom:
    (defaults: Options = {}) =>
    (options: Options = {}) => ({...defaults, ...options, type: 'option'}),
  integer: (options: Options & {max?: number; min?: number} = {}) => ({
    ...options,
    async parse(input: string) {
      const value = Number(input)
      const outside =
        (options.min !== undefined && value < options.min) || (options.max !== undefined && value > options.max)
      if (!/^-?\d+$/.test(input) || outside) throw new Fallback(input) // oclif words the error
      return value
    },
    type: 'option',
  }),
  string: (options: Options = {}) => ({...options, type: 'option'}),
}

export const Args = {string: (options: Options = {}) => ({...options})}

export interface Parsed {
  args: Record<string, unknown>
  argv: string[]
  flags: Record<string, unknown>
}

export abstract class Command {
  static args: Options = {}
  static baseFlags: Options = {}
  static enableJsonFlag = false
  static flags: Options = {}
  static strict = true

  constructor(
    public argv: string[],
    protected parsed: Parsed,
  ) {}

  get ctor(): typeof Command {
    return this.constructor as typeof Command
  }

  /** oclif's Command._run: init, run, catch, finally, then the result as JSON under --json */
  async _run(): Promise<unknown> {
    let err: unknown
    let result: unknown
    try {
      delete process.env.EXP_REDIRECTED
      await this.init()
      result = await this.run()
    } catch (error) {
      err = error
      await this.catch(error as Error)
    } finally {
      await this.finally(err)
    }
    if (result && this.jsonEnabled()) this.logJson(result)
    return result
  }

  abstract run(): Promise<unknown>

  async init(): Promise<void> {}

  async finally(_: unknown): Promise<void> {}

  async parse(_options?: unknown): Promise<Parsed> {
    return this.parsed
  }

  /** oclif's error(): a usage-style error with its exit code (printed by the runner as oclif prints it) */
  error(message: string, options: {exit?: number} = {}): never {
    throw new CLIError(message, {exit: options.exit ?? 2})
  }

  /** oclif's exit(): ends the command with this code, printing nothing */
  exit(code = 0): never {
    throw Object.assign(new CLIError(`EEXIT: ${code}`, {exit: code}), {code: 'EEXIT'})
  }

  warn(message: string | Error): void {
    console.error(` ›   Warning: ${typeof message === 'string' ? message : message.message}`)
  }

  jsonEnabled(): boolean {
    if (!this.ctor.enableJsonFlag) return false
    if (process.env.EXP_CONTENT_TYPE?.toLowerCase() === 'json') return true
    const end = this.argv.indexOf('--')
    const json = this.argv.indexOf('--json')
    return json !== -1 && (end === -1 || json < end)
  }

  log(message: unknown = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) console.log(format(typeof message === 'string' ? message : inspect(message), ...args))
  }

  logToStderr(message: unknown = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) console.error(format(typeof message === 'string' ? message : inspect(message), ...args))
  }

  logJson(json: unknown): void {
    console.log(JSON.stringify(json, null, 2))
  }

  /** oclif's catch: the exit code, the error as JSON under --json, else rethrown for the runner to print */
  async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    process.exitCode = process.exitCode ?? err.exitCode ?? 1
    if (this.jsonEnabled()) this.logJson({error: {...err, message: err.message, name: err.name}})
    else throw err
    return undefined
  }
}

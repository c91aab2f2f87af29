import {
  classifyFailure,
  findFailure,
  KEY_SUGGESTION,
  lastLine,
  VastError,
  type VastOutput,
  versionAtLeast,
} from './cli-errors.js'
import {apiKeySource} from './api-key.js'
import {knownVastKeys, redactVastSecrets} from './redact.js'

export {apiKeySource} from './api-key.js'
export {
  classifyFailure,
  findFailure,
  KEY_SUGGESTION,
  lastLine,
  VastError,
  type VastErrorKind,
  type VastFailure,
  type VastOutput,
  versionAtLeast,
} from './cli-errors.js'

/**
 * The one door to the `vastai` command-line tool. Every call goes through `VastCli.run`: an argument list (never a
 * shell string), `--raw` for JSON, and success judged from what the tool printed — never from its exit code alone,
 * because vastai exits 0 after a server error (it prints the error on stderr and leaves stdout empty).
 *
 * exp never reads the API key and never passes `--api-key`: vastai finds the key itself (VAST_API_KEY or its key
 * file), so the key cannot reach a command line, a run record, a log or an error message. As a last guard, every
 * message built from vastai's output has the key blanked out, from VAST_API_KEY or from vastai's key file.
 */
export const MIN_VASTAI_VERSION = '1.1.0'

export interface VastCliOptions {
  env?: NodeJS.ProcessEnv
  /** progress lines (retries) for a person */
  log?: (line: string) => void
  /** waits between rate-limit retries (ms); injectable for tests */
  sleep?: (ms: number) => Promise<void>
  /** the executable (default `vastai` on PATH) */
  command?: string
}

export interface RunOptions {
  /** add --raw and parse stdout as JSON */
  json?: boolean
  cwd?: string
  timeoutMs?: number
  /** a short name of the operation for messages: "create instance 123" */
  what?: string
}

/** Seconds to wait after a 429 before trying again (vastai itself already retried 3 times within half a second). */
export const RATE_LIMIT_BACKOFF_MS = [2000, 5000, 10_000]

export class VastCli {
  readonly env: NodeJS.ProcessEnv
  private readonly log: (line: string) => void
  private readonly sleep: (ms: number) => Promise<void>
  private readonly command: string

  constructor(options: VastCliOptions = {}) {
    this.env = options.env ?? process.env
    this.log = options.log ?? (() => {})
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.command = options.command ?? 'vastai'
  }

  /** Blank out the account key (from VAST_API_KEY or vastai's key file) and anything shaped like a key: see redact.ts. */
  redact(text: string): string {
    this.keys ??= knownVastKeys(this.env, apiKeySource({...this.env, VAST_API_KEY: undefined}))
    return redactVastSecrets(text, this.keys)
  }

  private keys?: string[]

  /** The argument list exp shows and records for a call (`--raw` placed before any trailing arguments). */
  argv(args: string[], json = false): string[] {
    return [this.command, ...args, ...(json ? ['--raw'] : [])]
  }

  /** One call, retried after a rate limit; throws a classified VastError on any reported failure. */
  async run(args: string[], options: RunOptions = {}): Promise<{output: VastOutput; json?: unknown}> {
    const what = options.what ?? `vastai ${args.slice(0, 2).join(' ')}`
    for (let attempt = 0; ; attempt++) {
      const output = await this.exec(args, options)
      const failure = findFailure(output)
      if (failure) {
        const error = classifyFailure({...failure, msg: this.redact(failure.msg)}, what)
        if (error.kind === 'rate-limit' && attempt < RATE_LIMIT_BACKOFF_MS.length) {
          const wait = RATE_LIMIT_BACKOFF_MS[attempt]
          this.log(`vast.ai is rate-limiting requests; trying ${what} again in ${wait / 1000}s`)
          await this.sleep(wait)
          continue
        }
        throw error
      }
      if (!options.json) {
        if (output.exitCode !== 0) throw this.outputError(what, output)
        return {output}
      }
      try {
        return {json: JSON.parse(output.stdout), output}
      } catch {
        throw this.outputError(what, output)
      }
    }
  }

  private outputError(what: string, output: VastOutput): VastError {
    const detail = this.redact(lastLine(output.stderr) || lastLine(output.stdout) || `exit code ${output.exitCode}`)
    return new VastError('output', `${what} did not answer as expected: ${detail}`)
  }

  private async exec(args: string[], options: RunOptions): Promise<VastOutput> {
    const {execa} = await import('execa')
    const argv = this.argv(args, options.json)
    const result = await execa(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: this.env,
      extendEnv: false,
      // stdin closed: a prompt (destroy without -y) answers "Aborted." instead of hanging
      input: '',
      reject: false,
      timeout: options.timeoutMs ?? 180_000,
    })
    if (
      (result as {code?: string}).code === 'ENOENT' ||
      (result.exitCode === undefined && /ENOENT/.test(String(result.message)))
    ) {
      throw new VastError(
        'missing',
        'the vastai command is not installed (or not on PATH).',
        undefined,
        'pip install vastai',
      )
    }
    if (result.timedOut)
      throw new VastError(
        'output',
        `${options.what ?? argv.slice(0, 3).join(' ')} did not finish within ${Math.round((options.timeoutMs ?? 180_000) / 1000)}s.`,
      )
    return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
  }

  // ---- the commands exp uses ------------------------------------------------------------------------------------

  /** `vastai --version` → the bare version; fails when older than MIN_VASTAI_VERSION. */
  async checkVersion(): Promise<string> {
    const {output} = await this.run(['--version'], {what: 'vastai --version'})
    const version = lastLine(output.stdout)
    if (!versionAtLeast(version, MIN_VASTAI_VERSION)) {
      throw new VastError(
        'missing',
        `vastai ${version || '(unknown version)'} is too old: exp needs ${MIN_VASTAI_VERSION} or newer (older ones list no instances).`,
        undefined,
        'pip install --upgrade vastai',
      )
    }
    return version
  }

  /** Refuse before anything is spent when no key is configured (vastai would only find out at the server). */
  requireApiKey(): string {
    const source = apiKeySource(this.env)
    if (!source) {
      throw new VastError('auth', 'no vast.ai API key is configured.', undefined, KEY_SUGGESTION)
    }
    return source
  }

  searchArgs(query: string, storageGb: number): string[] {
    return ['search', 'offers', query, '-o', 'dph+', '--storage', String(storageGb)]
  }

  async searchOffers(query: string, storageGb: number): Promise<Record<string, unknown>[]> {
    const {json} = await this.run(this.searchArgs(query, storageGb), {json: true, what: 'vastai search offers'})
    if (!Array.isArray(json)) throw new VastError('output', 'vastai search offers did not print a list of offers.')
    return json.filter((o): o is Record<string, unknown> => Boolean(o) && typeof o === 'object')
  }

  /** `create instance`: the new instance id, judged from stdout `{"success": true, "new_contract": N}` only. */
  async createInstance(args: string[], offerId: number): Promise<number> {
    const {json} = await this.run(args, {json: true, what: `vastai create instance ${offerId}`})
    const value = json as {success?: unknown; new_contract?: unknown; msg?: unknown; error?: unknown}
    if (value && value.success === true && typeof value.new_contract === 'number') return value.new_contract
    const msg =
      typeof value?.msg === 'string'
        ? value.msg
        : typeof value?.error === 'string'
          ? value.error
          : 'no new_contract in the answer'
    throw classifyFailure({msg: this.redact(msg), status: 0}, `vastai create instance ${offerId}`)
  }

  /** Every instance of the account, one call (contract §3). */
  async showInstances(): Promise<Record<string, unknown>[]> {
    const {json} = await this.run(['show', 'instances'], {json: true, what: 'vastai show instances'})
    if (!Array.isArray(json)) throw new VastError('output', 'vastai show instances did not print a list.')
    return json.filter((o): o is Record<string, unknown> => Boolean(o) && typeof o === 'object')
  }

  /** `stop instance ID` (keeps the disk, and its bill); judged by vastai's `stopping instance ID.` line. */
  async stopInstance(id: number): Promise<void> {
    const {output} = await this.run(['stop', 'instance', String(id)], {what: `vastai stop instance ${id}`})
    if (!/stopping instance/i.test(output.stdout))
      throw new VastError(
        'output',
        `vastai stop instance ${id} did not confirm: ${this.redact(lastLine(output.stdout) || lastLine(output.stderr) || 'no output')}`,
      )
  }

  /** `destroy instance ID -y`; true when vastai said it is destroying it, false when the instance was already gone. */
  async destroyInstance(id: number): Promise<boolean> {
    try {
      const {output} = await this.run(['destroy', 'instance', String(id), '-y'], {
        what: `vastai destroy instance ${id}`,
      })
      if (!/destroying instance/i.test(output.stdout))
        throw new VastError(
          'output',
          `vastai destroy instance ${id} did not confirm: ${this.redact(lastLine(output.stdout) || lastLine(output.stderr) || 'no output')}`,
        )
      return true
    } catch (error) {
      if (error instanceof VastError && error.kind === 'not-found') return false
      throw error
    }
  }

  /**
   * `vastai copy SRC DST`. It exits 0 even when rsync failed, so this returns what was printed and the caller
   * verifies the files itself; rsync's complaints are picked out for messages.
   */
  async copy(
    src: string,
    dst: string,
    cwd: string,
    timeoutMs: number,
  ): Promise<{output: VastOutput; rsyncError?: string; missing: boolean}> {
    const {output} = await this.run(['copy', src, dst], {cwd, timeoutMs, what: `vastai copy ${src} ${dst}`})
    const complaints = output.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /rsync|ssh:|error|refused|denied/i.test(l))
    const missing = complaints.some((l) => /No such file or directory/i.test(l) && /link_stat|change_dir/i.test(l))
    return {missing, output, rsyncError: complaints.length ? this.redact(complaints.join(' | ')) : undefined}
  }
}

import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {STOP_SIGNALS} from '../launch/signals.js'

/**
 * The one runner for every rclone call exp makes: argument lists only, `--retries 1` (exp retries itself where it
 * must), never `--fast-list` (listings must be fresh for the lease protocol), `-I` on every upload of state (on
 * WebDAV an update of the same size is otherwise skipped silently — see the shared rclone notes), and every failure
 * turned into one line naming the remote and what to do.
 */

/** Where exp's state lives: an rclone remote name (`gdrive:`) and a folder under it. */
export interface RemoteTarget {
  remote: string
  root: string
}

/** An entry of `rclone lsjson`. */
export interface RemoteEntry {
  Path: string
  Name: string
  Size: number
  ModTime: string
  IsDir: boolean
}

export interface RcloneRunOptions {
  /** stdin for `rcat` */
  input?: string
  /** show rclone's progress (files, bytes, rate) on the terminal */
  progress?: boolean
  /** exit codes that are an answer, not a failure (3: directory not found) */
  allow?: number[]
  signal?: AbortSignal
}

export interface RcloneResult {
  code: number
  stdout: string
  stderr: string
}

/** `gdrive` and `gdrive:` name the same remote; a root never starts or ends with a slash it does not need. */
export function normaliseTarget(remote: string, root: string): RemoteTarget {
  const name = remote.endsWith(':') ? remote : `${remote}:`
  return {remote: name, root: root === '/' ? root : root.replace(/\/+$/, '')}
}

export class Rclone {
  constructor(
    readonly target: RemoteTarget,
    private readonly env: NodeJS.ProcessEnv = process.env,
    readonly binary = 'rclone',
  ) {}

  /** `remote:root/rel` */
  path(rel = ''): string {
    const joined = rel ? (this.target.root ? path.posix.join(this.target.root, rel) : rel) : this.target.root
    return `${this.target.remote}${joined}`
  }

  /** Run rclone; any exit outside 0 and `allow` becomes one classified line. */
  async run(args: string[], options: RcloneRunOptions = {}): Promise<RcloneResult> {
    const {execa} = await import('execa')
    const full = [...args, '--retries', '1', ...(options.progress ? ['--progress'] : ['-q'])]
    const result = await execa(this.binary, full, {
      cancelSignal: options.signal,
      env: this.env,
      extendEnv: false,
      input: options.input ?? '',
      reject: false,
      stdout: options.progress ? ['pipe', 'inherit'] : 'pipe',
      stripFinalNewline: false,
    })
    const code = result.exitCode ?? 1
    if (
      (result as {code?: string}).code === 'ENOENT' ||
      (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))
    ) {
      throw new ExpError(
        `rclone is not installed (no "${this.binary}" on PATH); remote ${this.target.remote} cannot be reached.`,
        {
          code: 'RCLONE_MISSING',
          suggestion: 'install rclone (Debian: apt-get install rclone) and run exp again',
        },
      )
    }
    const stopped = (result as {signal?: string}).signal
    if (stopped && !result.isCanceled && (STOP_SIGNALS as readonly string[]).includes(stopped)) {
      // Ctrl-C at a terminal reaches rclone too (its process group): an interruption, not a remote failure
      throw new ExpError(`interrupted (${stopped}) while rclone ${args[0]} ran on ${this.target.remote}.`, {
        code: 'INTERRUPTED',
        exit: EXIT.interrupted,
      })
    }
    const out = {code, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
    if (code !== 0 && !(options.allow ?? []).includes(code)) throw await this.classify(out, args[0])
    return out
  }

  /** The files and folders under `rel` (recursive when asked); a folder that does not exist is empty. */
  async list(rel: string, options: {recursive?: boolean; filesOnly?: boolean} = {}): Promise<RemoteEntry[]> {
    const args = ['lsjson', this.path(rel)]
    if (options.recursive) args.push('-R')
    if (options.filesOnly) args.push('--files-only')
    const r = await this.run(args, {allow: [3]})
    return r.code === 3 ? [] : (JSON.parse(r.stdout || '[]') as RemoteEntry[])
  }

  /** A small remote file's text, or undefined when it does not exist. */
  async read(rel: string): Promise<string | undefined> {
    const r = await this.run(['cat', this.path(rel)], {allow: [1, 3]})
    if (r.code === 0) return r.stdout
    // listed a moment ago, gone now (a lease released between list and read): WebDAV answers 404 with exit 1
    if (r.code === 3 || /\b404\b|not found/i.test(r.stderr)) return undefined
    throw await this.classify(r, 'cat')
  }

  /** Upload a small text as `rel` (`rcat` always transfers: no same-size skip). */
  async writeText(rel: string, text: string): Promise<void> {
    await this.run(['rcat', this.path(rel)], {input: text})
  }

  /** Upload one local file; always transferred (`-I`). */
  async upload(local: string, rel: string, options: RcloneRunOptions = {}): Promise<void> {
    await this.run(['copyto', local, this.path(rel), '-I'], options)
  }

  async download(rel: string, local: string, options: RcloneRunOptions = {}): Promise<void> {
    await this.run(['copyto', this.path(rel), local], options)
  }

  /** Server-side rename of a file or a folder over another (a reader sees the old or the new, never a half). */
  async move(fromRel: string, toRel: string): Promise<void> {
    await this.run(['moveto', this.path(fromRel), this.path(toRel), '-I'])
  }

  /** Delete one file; true when it was there. */
  async remove(rel: string): Promise<boolean> {
    const r = await this.run(['deletefile', this.path(rel)], {allow: [3, 4]})
    return r.code === 0
  }

  async purge(rel: string): Promise<void> {
    await this.run(['purge', this.path(rel)], {allow: [3]})
  }

  /** One line naming the remote and what to do. */
  private async classify(r: RcloneResult, verb: string | undefined): Promise<ExpError> {
    const remote = this.target.remote
    const text = r.stderr
    const detail = lastError(text)
    if (
      /didn't find section in config file|config file .*not found.*section|NOTICE: Config file .* not found/i.test(
        text,
      ) ||
      !(await this.knowsRemote())
    ) {
      return new ExpError(`remote ${remote} is not configured in rclone (rclone listremotes does not name it).`, {
        code: 'REMOTE_UNKNOWN',
        suggestion: `rclone config (to add ${remote.slice(0, -1)}), or set remote.rclone_remote in exp.yaml / --rclone-remote`,
      })
    }
    if (/\b(401|403)\b|unauthori[sz]ed|forbidden|invalid_grant|token|credentials|permission denied/i.test(text)) {
      return new ExpError(`remote ${remote} refused rclone's credentials (${detail}).`, {
        code: 'REMOTE_AUTH',
        exit: EXIT.auth,
        suggestion: `rclone config reconnect ${remote}`,
      })
    }
    if (
      /connection refused|no such host|timeout|i\/o timeout|connection reset|network is unreachable|EOF|broken pipe|dial tcp/i.test(
        text,
      )
    ) {
      return new ExpError(`remote ${remote} is unreachable (${detail}); nothing was changed locally.`, {
        code: 'REMOTE_UNREACHABLE',
        suggestion: 'check the network or the server, then run the command again',
      })
    }
    return new ExpError(`rclone ${verb ?? ''} on ${remote} failed with exit ${r.code} (${detail}).`, {
      code: 'REMOTE_FAILED',
    })
  }

  /** Whether `rclone listremotes` names the remote (a remote given as a path, `/x` or `:local:`, always counts). */
  async knowsRemote(): Promise<boolean> {
    const name = this.target.remote
    if (name.startsWith(':') || name.startsWith('/')) return true
    const {execa} = await import('execa')
    const r = await execa(this.binary, ['listremotes'], {env: this.env, extendEnv: false, reject: false})
    if (r.exitCode !== 0) return true // cannot tell: let the caller's own error speak
    return String(r.stdout)
      .split('\n')
      .some((line) => line.trim().toLowerCase() === name.toLowerCase())
  }
}

/** The last ERROR line of rclone's stderr, trimmed to what a person needs. */
function lastError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const error = [...lines].reverse().find((l) => /ERROR|Failed|error/i.test(l)) ?? lines.at(-1) ?? 'no message'
  return error
    .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\s+/, '')
    .replace(/^(ERROR|Failed to \w+|NOTICE)\s*:\s*/i, '')
    .slice(0, 200)
}

/**
 * Expected failures. Anything thrown that is not an ExpError is a bug and shows a stack trace under DEBUG.
 * Exit codes are documented in the README ("Exit codes").
 */
export const EXIT = {
  ok: 0,
  failure: 1, // the command could not do its job (not found, invalid file, gate failed, partial failure)
  usage: 2, // bad arguments, a prompt needed without a terminal, cancelled by the user
  locked: 3, // the workspace lock is held by another exp process
  auth: 4, // a backend credential is missing or refused
  interrupted: 130, // SIGINT/SIGTERM
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export interface ExpErrorOptions {
  code?: string
  exit?: number
  suggestion?: string
}

export class ExpError extends Error {
  readonly code: string
  readonly exit: number
  readonly suggestion?: string

  constructor(message: string, options: ExpErrorOptions = {}) {
    super(message)
    this.name = 'ExpError'
    this.code = options.code ?? 'EXP_FAILURE'
    this.exit = options.exit ?? EXIT.failure
    this.suggestion = options.suggestion
  }

  /** One line: the message and, when there is one, what to try. */
  get oneLine(): string {
    return this.suggestion ? `${this.message} Try: ${this.suggestion}` : this.message
  }
}

export function isExpError(error: unknown): error is ExpError {
  return error instanceof ExpError
}

/** The message of anything thrown, for warnings that must stay one line. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0]
  return String(error)
}

/**
 * Filesystem errors a person can cause (a full disk, a read-only mount, a file where a folder belongs, missing
 * permissions) are expected failures, not bugs: one line naming the path. Used by the base command for anything
 * that reaches it, and by services that must say more (a launch that stopped its engines).
 */
const FILESYSTEM_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOSPC: 'disk full',
  ENOTDIR: 'not a directory',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
}

/** The ExpError for a filesystem error a person can cause, or undefined for anything else. */
export function filesystemError(error: unknown): ExpError | undefined {
  const e = error as NodeJS.ErrnoException | undefined
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return undefined
  if (isExpError(e)) return e.code in FILESYSTEM_PROBLEMS ? e : undefined
  // mkdir where a file already is: a file in the way of a folder exp needs
  const problem = e.code === 'EEXIST' && e.syscall === 'mkdir' ? 'a file is in the way' : FILESYSTEM_PROBLEMS[e.code]
  if (!problem) return undefined
  const dest = (e as {dest?: string}).dest
  const where = e.path ? `: ${e.path}${dest ? ` → ${dest}` : ''}` : ''
  const action = e.syscall ? ` (${e.syscall})` : ''
  return new ExpError(`${problem}${where}${action}.`, {code: e.code})
}

/** True for "the disk (or quota) is full". */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

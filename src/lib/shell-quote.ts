/**
 * Quoting for the scripts exp generates (SLURM batch scripts, vast onstart and job scripts). Every value is
 * single-quoted, whatever it holds: inside '…' a POSIX shell expands nothing, and a single quote itself is written
 * as '\'' (close, escaped quote, reopen). NUL cannot appear in a shell word, so it is refused.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL character')
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * Text for a `#` comment line of a generated script: a comment ends at the first line break, so every control
 * character (line breaks included) is written as an escape (\\n, \\x1b). What follows `#` can never become a command.
 */
export function shellComment(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

/** An argument list as one shell command line, every argument quoted. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => shellQuote(a)).join(' ')
}

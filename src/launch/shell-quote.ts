/**
 * Quoting for the scripts exp generates (SLURM batch scripts, vast onstart and job scripts). Every value is
 * single-quoted, whatever it holds: inside '…' a POSIX shell expands nothing, and a single quote itself is written
 * as '\'' (close, escaped quote, reopen). NUL cannot appear in a shell word, so it is refused.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL character')
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** An argument list as one shell command line, every argument quoted. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => shellQuote(a)).join(' ')
}

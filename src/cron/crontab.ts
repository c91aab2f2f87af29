import {EXIT, ExpError, messageOf} from '../errors.js'

/**
 * The user's crontab through the real `crontab` program: read with `crontab -l` ("no crontab for USER" is an empty
 * table), written whole with `crontab -` (the new table on stdin). exp's line carries a trailing marker comment
 * naming the workspace, `# exp:<workspace>`, so it is found again; every other line is kept exactly as it was.
 */
export interface Crontab {
  read(): Promise<string>
  write(table: string): Promise<void>
}

export function systemCrontab(program = 'crontab'): Crontab {
  const run = async (args: string[], input?: string) => {
    const {execa} = await import('execa')
    try {
      return await execa(program, args, {input: input ?? '', reject: false, timeout: 30_000})
    } catch (error) {
      throw new ExpError(`cannot run ${program}: ${messageOf(error)}`, {code: 'NO_CRONTAB'})
    }
  }
  const failed = (what: string, r: {exitCode?: number; stderr: unknown; failed?: boolean; code?: string}) => {
    if (r.code === 'ENOENT')
      return new ExpError(`the ${program} program was not found.`, {
        code: 'NO_CRONTAB',
        suggestion: 'install cron (it provides crontab), then run this again.',
      })
    return new ExpError(`${program} ${what} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n')[0]}`, {
      code: 'CRONTAB_FAILED',
    })
  }
  return {
    async read() {
      const r = await run(['-l'])
      if (r.exitCode === 0) return String(r.stdout)
      if (/no crontab for/i.test(String(r.stderr))) return ''
      throw failed('-l', r)
    },
    async write(table: string) {
      const r = await run(['-'], table.endsWith('\n') || table === '' ? table : `${table}\n`)
      if (r.exitCode !== 0) throw failed('-', r)
    },
  }
}

/**
 * One word for sh, whatever it holds: single quotes, each ' written as '\''. Words made only of characters sh gives
 * no meaning to are left bare (readable arguments like --status) unless `always` (paths, so they read as paths).
 */
export function shellQuote(word: string, always = false): string {
  if (!always && word !== '' && /^[\w@%+:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** cron turns an unescaped % in the command into a newline: escape them after shell quoting. */
export function cronEscape(command: string): string {
  return command.replace(/%/g, '\\%')
}

export function markerFor(root: string): string {
  return cronEscape(`# exp:${root}`)
}

export interface CronLineParts {
  schedule: string
  root: string
  node: string
  bin: string
  args: string[]
  log: string
}

/**
 * `<schedule> cd '<ws>' && EXP_LOG_TIMESTAMPS=1 '<node>' '<exp>' archive --status all --older-than 14d --yes >> '<ws>/.exp/cron.log' 2>&1 # exp:<ws>`:
 * absolute paths only (cron's environment is bare), every value quoted, timestamps on every line exp writes.
 */
export function buildCronLine(parts: CronLineParts): string {
  for (const value of [parts.root, parts.node, parts.bin, parts.log, ...parts.args]) {
    if (/[\n\r\0]/.test(value))
      throw new ExpError(`cannot put "${value.replace(/[\n\r]/g, '\\n')}" in a crontab line (it holds a line break).`, {
        code: 'BAD_CRON_VALUE',
        exit: EXIT.usage,
      })
  }
  const command = [
    'cd',
    shellQuote(parts.root, true),
    '&&',
    'EXP_LOG_TIMESTAMPS=1',
    shellQuote(parts.node, true),
    shellQuote(parts.bin, true),
    ...parts.args.map((a) => shellQuote(a)),
    '>>',
    shellQuote(parts.log, true),
    '2>&1',
  ].join(' ')
  return `${parts.schedule} ${cronEscape(command)} ${markerFor(parts.root)}`
}

function isOurs(line: string, root: string): boolean {
  return line.trimEnd().endsWith(` ${markerFor(root)}`)
}

/** exp's lines for this workspace (normally one). */
export function findLines(table: string, root: string): string[] {
  return table.split('\n').filter((l) => isOurs(l, root))
}

/** The table with exp's line for this workspace put in place of the old one (or appended); nothing else changes. */
export function withLine(table: string, root: string, line: string): {table: string; replaced: number} {
  const lines = table === '' ? [] : table.replace(/\n$/, '').split('\n')
  const at = lines.findIndex((l) => isOurs(l, root))
  const replaced = lines.filter((l) => isOurs(l, root)).length
  const kept = lines.filter((l) => !isOurs(l, root))
  kept.splice(at === -1 ? kept.length : at, 0, line)
  return {replaced, table: kept.join('\n') + '\n'}
}

export function withoutLine(table: string, root: string): {table: string; removed: number} {
  const lines = table === '' ? [] : table.replace(/\n$/, '').split('\n')
  const kept = lines.filter((l) => !isOurs(l, root))
  return {removed: lines.length - kept.length, table: kept.length === 0 ? '' : kept.join('\n') + '\n'}
}

/** Split a crontab line into its schedule (five fields or an @-shortcut) and its command. */
export function splitCronLine(line: string): {schedule: string; command: string} {
  const text = line.trim()
  const fields = text.startsWith('@') ? 1 : 5
  let command = text
  const schedule: string[] = []
  for (let i = 0; i < fields; i++) {
    const m = /^(\S+)\s*/.exec(command)
    if (!m) break
    schedule.push(m[1])
    command = command.slice(m[0].length)
  }
  return {command, schedule: schedule.join(' ')}
}

import {CronExpressionParser} from 'cron-parser'

import {EXIT, ExpError, messageOf} from '../errors.js'

/**
 * Cron schedules as the system crontab understands them: five fields (minute hour day-of-month month day-of-week)
 * or one of the @-shortcuts. cron-parser checks ranges and computes the next runs; it also accepts things crontab
 * does not (a seconds field, L, W, #, H, @reboot has no next time), which are refused here first.
 */
const SHORTCUTS: Record<string, string> = {
  '@annually': '0 0 1 1 *',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@midnight': '0 0 * * *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@yearly': '0 0 1 1 *',
}

const VALUE = '(?:\\d+|[a-z]{3})'
const ITEM = new RegExp(`^(?:\\*|${VALUE}(?:-${VALUE})?)(?:/\\d+)?$`, 'i')
const HINT =
  'five fields: minute hour day-of-month month day-of-week, e.g. "0 0 * * 0" for Sundays at midnight, or @daily/@weekly/@monthly'

/** The schedule in its canonical spacing; throws a one-line ExpError (exit 2) when crontab would not run it. */
export function validateSchedule(schedule: string): string {
  const text = schedule.trim().replace(/\s+/g, ' ')
  const bad = (why: string) =>
    new ExpError(`invalid cron schedule "${schedule}": ${why} (${HINT}).`, {code: 'BAD_SCHEDULE', exit: EXIT.usage})
  if (text.startsWith('@')) {
    if (!SHORTCUTS[text.toLowerCase()]) throw bad(`unknown shortcut ${text}`)
    return text.toLowerCase()
  }
  const fields = text.split(' ')
  if (fields.length !== 5) throw bad(`${fields.length} field${fields.length === 1 ? '' : 's'}`)
  for (const field of fields) {
    if (!field.split(',').every((item) => ITEM.test(item))) throw bad(`"${field}" is not a cron field`)
  }
  try {
    CronExpressionParser.parse(text)
  } catch (error) {
    throw bad(messageOf(error).replace(/\.$/, ''))
  }
  return text
}

/** The next `count` times the schedule fires after `from`, in this machine's time zone (as cron runs it). */
export function nextRuns(schedule: string, from: Date, count = 3): Date[] {
  const text = validateSchedule(schedule)
  const expression = CronExpressionParser.parse(SHORTCUTS[text] ?? text, {
    currentDate: from,
    tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
  })
  return Array.from({length: count}, () => expression.next().toDate())
}

/** A local time with its offset: 2025-01-26 00:00 +01:00. */
export function formatLocal(date: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0')
  const offset = -date.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())} ${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
}

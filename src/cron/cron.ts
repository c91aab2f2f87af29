import {promises as fs, realpathSync} from 'node:fs'
import path from 'node:path'

import {EXIT, ExpError} from '../errors.js'
import {PACKAGE_ROOT} from '../lib/package.js'
import type {Clock} from '../lib/time.js'
import type {Workspace} from '../workspace/workspace.js'
import {buildCronLine, type Crontab, findLines, splitCronLine, systemCrontab, withLine, withoutLine} from './crontab.js'
import {withCrontabLock} from './crontab-lock.js'
import {formatLocal, nextRuns, validateSchedule} from './schedule.js'

export const CRON_LOG = 'cron.log'

export interface CronOptions {
  now: Clock
  crontab?: Crontab
  /** decide everything (the line, what it replaces) and write nothing */
  dryRun?: boolean
}

export interface CronInstallOptions extends CronOptions {
  /** default: cron.schedule in exp.yaml */
  schedule?: string
  /** exp arguments, space-separated; default: cron.command in exp.yaml */
  command?: string
  /** checks that the first words name an exp command (the CLI passes its own command list) */
  isCommand?: (words: string[]) => boolean
  /** the node binary and the exp entry point the line runs (default: this node, this exp) */
  node?: string
  bin?: string
}

export interface CronJob {
  installed: boolean
  line: string | null
  schedule: string | null
  /** the command part, as sh runs it */
  command: string | null
  /** ISO times of the next three runs */
  next_runs: string[]
  log: string
}

export interface CronInstallResult extends CronJob {
  /** lines for this workspace replaced (0 on a first install, 1 when installing again) */
  replaced: number
  dry_run: boolean
}

export interface CronRemoveResult {
  removed: number
  dry_run: boolean
}

function logFile(ws: Workspace): string {
  return path.join(ws.paths.state, CRON_LOG)
}

/** The exp command words of `--command`: plain words separated by spaces (no shell syntax: each word is quoted). */
export function commandWords(command: string): string[] {
  const words = command.trim().split(/\s+/).filter(Boolean)
  if (words[0] === 'exp') words.shift()
  if (words.length === 0)
    throw new ExpError('the cron command is empty.', {
      code: 'BAD_COMMAND',
      exit: EXIT.usage,
      suggestion: 'exp cron install --command "archive --status all --older-than 14d --yes"',
    })
  return words
}

function job(ws: Workspace, line: string | undefined, now: Date): CronJob {
  if (!line) return {command: null, installed: false, line: null, log: logFile(ws), next_runs: [], schedule: null}
  const {command, schedule} = splitCronLine(line)
  return {
    command,
    installed: true,
    line,
    log: logFile(ws),
    next_runs: nextRuns(schedule, now).map((d) => d.toISOString()),
    schedule,
  }
}

/** Put the workspace's line into the user's crontab (replacing the previous one); other lines stay untouched. */
export async function installCron(ws: Workspace, options: CronInstallOptions): Promise<CronInstallResult> {
  const schedule = validateSchedule(options.schedule ?? ws.settings.cron.schedule)
  const args = commandWords(options.command ?? ws.settings.cron.command)
  if (options.isCommand && !options.isCommand(args)) {
    throw new ExpError(`"${args[0]}" is not an exp command.`, {
      code: 'BAD_COMMAND',
      exit: EXIT.usage,
      suggestion: 'exp cron install --command "archive --status all --older-than 14d --yes"',
    })
  }
  const line = buildCronLine({
    args,
    bin: options.bin ?? realpathSync(path.join(PACKAGE_ROOT, 'bin', 'run.cjs')),
    log: logFile(ws),
    node: options.node ?? process.execPath,
    root: ws.root,
    schedule,
  })
  // the log's folder must exist when cron opens it (.exp/ is otherwise made by the first command that locks)
  if (!options.dryRun) await fs.mkdir(ws.paths.state, {recursive: true})
  const crontab = options.crontab ?? systemCrontab()
  if (options.dryRun)
    return {
      ...job(ws, line, options.now()),
      dry_run: true,
      replaced: withLine(await crontab.read(), ws.root, line).replaced,
    }
  // read-modify-write of the whole table: under the per-user lock, so parallel installs never drop each other's line
  const {replaced} = await withCrontabLock('exp cron install', async () => {
    const next = withLine(await crontab.read(), ws.root, line)
    await crontab.write(next.table)
    return next
  })
  return {...job(ws, line, options.now()), dry_run: false, replaced}
}

/** The workspace's line, if installed, and its next three runs. */
export async function showCron(ws: Workspace, options: CronOptions): Promise<CronJob> {
  const crontab = options.crontab ?? systemCrontab()
  return job(ws, findLines(await crontab.read(), ws.root)[0], options.now())
}

/** Take the workspace's line out of the user's crontab (idempotent); other lines stay untouched. */
export async function removeCron(ws: Workspace, options: CronOptions): Promise<CronRemoveResult> {
  const crontab = options.crontab ?? systemCrontab()
  if (options.dryRun) return {dry_run: true, removed: withoutLine(await crontab.read(), ws.root).removed}
  return withCrontabLock('exp cron remove', async () => {
    const {removed, table} = withoutLine(await crontab.read(), ws.root)
    if (removed > 0) await crontab.write(table)
    return {dry_run: false, removed}
  })
}

export function describeRuns(job: CronJob): string[] {
  return job.next_runs.map((iso) => formatLocal(new Date(iso)))
}

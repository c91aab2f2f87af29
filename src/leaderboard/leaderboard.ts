import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError, messageOf} from '../errors.js'
import {writeFileAtomic} from '../lib/atomic.js'
import {compareMetric, type Direction} from '../reports/metric.js'

/**
 * The leaderboard: a CSV with one row per promoted experiment, best first. Written with csv-stringify and read
 * with csv-parse (both imported here only: callers `await import()` this module). Reading and writing are
 * separate so a promotion can read (and refuse a broken file) before it writes anything, and write last, all
 * under the workspace lock.
 */
export const FIXED_COLUMNS = ['rank', 'experiment', 'config'] as const
export const AFTER_METRIC = ['gates_passed', 'promoted_at'] as const
/** numbers a report carries that are not metrics */
const NOT_METRICS = new Set(['created_at', 'timestamp'])

/** A row as stored: every cell is text. */
export type LeaderboardRow = Record<string, string>

export interface Leaderboard {
  file: string
  exists: boolean
  columns: string[]
  rows: LeaderboardRow[]
  /** the ranking metric: the column after rank, experiment, config */
  metric: string | null
}

export interface LeaderboardEntry {
  experiment: string
  /** the production config, workspace-relative */
  config: string
  metric: string
  value: number
  gates_passed: boolean
  promoted_at: string
  /** the report's other numeric metrics */
  metrics: Record<string, number>
  /** a sweep's variant: its parameter values, one column each */
  params?: Record<string, unknown>
}

export async function readLeaderboard(file: string): Promise<Leaderboard> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {columns: [], exists: false, file, metric: null, rows: []}
    if (code === 'EISDIR')
      throw new ExpError(`${file} is a folder, not a leaderboard CSV.`, {code: 'INVALID_LEADERBOARD'})
    throw error
  }
  const {parse} = await import('csv-parse/sync')
  let records: string[][]
  try {
    records = parse(text, {bom: true, skip_empty_lines: true}) as string[][]
  } catch (error) {
    throw new ExpError(`${file} is not valid CSV (${messageOf(error)}); fix or remove it.`, {
      code: 'INVALID_LEADERBOARD',
    })
  }
  if (records.length === 0) return {columns: [], exists: true, file, metric: null, rows: []}
  const [columns, ...body] = records.map((cells) => cells.map(unescapeFormula))
  if (columns[1] !== 'experiment') {
    throw new ExpError(
      `${file} is not an exp leaderboard (its second column is "${columns[1] ?? ''}", expected "experiment"); fix or remove it.`,
      {
        code: 'INVALID_LEADERBOARD',
      },
    )
  }
  const rows = body.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ''])))
  return {columns, exists: true, file, metric: columns[3] ?? null, rows}
}

/**
 * The leaderboard with `entry` upserted (its experiment's row replaced, never duplicated), sorted best first by
 * `entry.metric` in `direction`, ranked 1..n. Pure: returns a new board.
 */
export function upsertEntry(board: Leaderboard, entry: LeaderboardEntry, direction: Direction): Leaderboard {
  const row: LeaderboardRow = {
    config: entry.config,
    experiment: entry.experiment,
    gates_passed: String(entry.gates_passed),
    promoted_at: entry.promoted_at,
    [entry.metric]: String(entry.value),
  }
  const reserved = new Set<string>([...FIXED_COLUMNS, ...AFTER_METRIC, entry.metric])
  for (const [k, v] of Object.entries(entry.metrics)) if (!reserved.has(k) && !NOT_METRICS.has(k)) row[k] = String(v)
  for (const [k, v] of Object.entries(entry.params ?? {}))
    if (!reserved.has(k)) row[k] = typeof v === 'string' ? v : JSON.stringify(v)

  const rows = board.rows.filter((r) => r.experiment !== entry.experiment)
  rows.push(row)
  const others = new Set<string>()
  for (const c of board.columns) if (!reserved.has(c)) others.add(c)
  for (const k of Object.keys(row)) if (!reserved.has(k)) others.add(k)
  const columns = [...FIXED_COLUMNS, entry.metric, ...AFTER_METRIC, ...[...others].sort()]
  return {...board, columns, metric: entry.metric, rows: rank(rows, entry.metric, direction)}
}

function rank(rows: LeaderboardRow[], metric: string, direction: Direction): LeaderboardRow[] {
  const value = (r: LeaderboardRow) => (r[metric] === undefined || r[metric] === '' ? undefined : Number(r[metric]))
  return [...rows]
    .sort((a, b) => compareMetric(direction, value(a), value(b)) || a.experiment.localeCompare(b.experiment))
    .map((r, i) => ({...r, rank: String(i + 1)}))
}

/** The board without `experiment`'s row (a rolled-back promotion), ranked again. Pure. */
export function withoutExperiment(board: Leaderboard, experiment: string, direction: Direction): Leaderboard {
  const rows = board.rows.filter((r) => r.experiment !== experiment)
  return {...board, rows: board.metric ? rank(rows, board.metric, direction) : rows}
}

/**
 * The file's text. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is written with a
 * leading ' (csv-stringify's escape_formulas); numbers are written as numbers, so -0.5 stays a number. Reading
 * takes the ' off again.
 */
export async function leaderboardText(board: Leaderboard): Promise<string> {
  const {stringify} = await import('csv-stringify/sync')
  const typed = (cell: string): string | number =>
    cell.trim() !== '' && String(Number(cell)) === cell ? Number(cell) : cell
  return stringify(
    board.rows.map((r) => board.columns.map((c) => typed(r[c] ?? ''))),
    {columns: board.columns, escape_formulas: true, header: true},
  )
}

function unescapeFormula(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell
}

/** Write the whole file atomically (temp file + rename): readers see the old board or the new one. */
export async function writeLeaderboard(board: Leaderboard): Promise<void> {
  await writeFileAtomic(board.file, await leaderboardText(board))
}

/** A stored cell as a value: numbers as numbers, true/false as booleans, empty as null. */
export function cellValue(text: string | undefined): string | number | boolean | null {
  if (text === undefined || text === '') return null
  if (text === 'true') return true
  if (text === 'false') return false
  const n = Number(text)
  return text.trim() !== '' && Number.isFinite(n) ? n : text
}

export interface LeaderboardView {
  file: string
  exists: boolean
  metric: string | null
  columns: string[]
  /** how many rows the file holds (rows may be cut by --top) */
  total: number
  rows: Array<Record<string, string | number | boolean | null>>
}

/** What `exp leaderboard` shows: the stored order (best first), typed cells, the first `top` rows. */
export async function showLeaderboard(file: string, options: {top?: number} = {}): Promise<LeaderboardView> {
  const board = await readLeaderboard(file)
  const rows = options.top === undefined ? board.rows : board.rows.slice(0, options.top)
  return {
    columns: board.columns,
    exists: board.exists,
    file: board.file,
    metric: board.metric,
    rows: rows.map((r) =>
      Object.fromEntries(board.columns.map((c) => [c, c === 'experiment' || c === 'config' ? r[c] : cellValue(r[c])])),
    ),
    total: board.rows.length,
  }
}

type PromoteSettings = {root: string; settings: {promote: {leaderboard: string; metric: string; direction: Direction}}}

/**
 * The leaderboard file: the flag's path (relative to cwd) or `promote.leaderboard` (relative to the workspace).
 * One board ranks by one metric and direction, those of exp.yaml's promote settings: a promotion by another
 * (`--metric acc --direction max`) goes, without the flag, to a board named by them (`leaderboard-acc-max.csv`
 * beside the shared one), never re-ranking the shared board.
 */
export function leaderboardPath(
  ws: PromoteSettings,
  flag: string | undefined,
  cwd: string,
  spec?: {metric: string; direction: Direction},
): string {
  if (flag !== undefined) return path.resolve(cwd, flag)
  const shared = path.resolve(ws.root, ws.settings.promote.leaderboard)
  const {direction, metric} = ws.settings.promote
  if (!spec || (spec.metric === metric && spec.direction === direction)) return shared
  const ext = path.extname(shared)
  const safe = `${spec.metric}-${spec.direction}`.replace(/[^\w.-]/g, '_')
  return path.join(path.dirname(shared), `${path.basename(shared, ext)}-${safe}${ext}`)
}

/** Refuse to rank an existing board by another metric than its own (its fourth column). */
export function checkBoardMetric(board: Leaderboard, metric: string): void {
  if (board.rows.length === 0 || board.metric === null || board.metric === metric) return
  throw new ExpError(`${board.file} ranks by ${board.metric}; a promotion by ${metric} would re-rank it.`, {
    code: 'LEADERBOARD_METRIC',
    suggestion: `--leaderboard-csv FILE (a board of its own for ${metric}), or --no-update-leaderboard`,
  })
}

/** The first line of an exp leaderboard: rank,experiment,… (what --leaderboard-csv may overwrite). */
export function isLeaderboardCsv(head: string): boolean {
  return /^\uFEFF?rank,experiment(,|\r?\n|$)/.test(head)
}

import path from 'node:path'

import {leaderboardFlags} from '../command-flags/leaderboard.js'
import {BaseCommand} from '../base-command.js'
import {outputStyle} from '../lib/format.js'
import type {LeaderboardView} from '../leaderboard/leaderboard.js'
import {relativeToRoot} from '../workspace/workspace.js'

export interface LeaderboardResult extends LeaderboardView {
  /** the page written by --html (workspace-relative when inside it), or null */
  html: string | null
}

export default class Leaderboard extends BaseCommand<typeof Leaderboard> {
  static description =
    'The leaderboard is the CSV exp promote keeps (promote.leaderboard in exp.yaml, reports/leaderboard.csv): one row per promoted experiment, best first. --html writes a self-contained page (the table and an SVG bar chart of the metric per experiment; no scripts, no network) to open or attach anywhere.'

  static examples = [
    '<%= config.bin %> leaderboard',
    '<%= config.bin %> leaderboard --top 5 --json',
    '<%= config.bin %> leaderboard --html reports/leaderboard.html',
  ]

  static flags = leaderboardFlags

  static summary = 'The leaderboard of promoted experiments, best first (table, JSON or an HTML page).'

  async run(): Promise<LeaderboardResult> {
    const ws = await this.workspace()
    const {leaderboardPath, showLeaderboard} = await import('../leaderboard/leaderboard.js')
    const view = await showLeaderboard(leaderboardPath(ws, this.flags['leaderboard-csv'], process.cwd()), {
      top: this.flags.top,
    })
    let html: string | null = null
    if (this.flags.html) {
      const {writeLeaderboardPage} = await import('../leaderboard/page.js')
      html = path.resolve(this.flags.html)
      await writeLeaderboardPage(ws, view, html, this.clock())
    }
    const file = relativeToRoot(ws, view.file)
    if (view.rows.length === 0)
      this.log(
        view.exists ? `${file} has no rows yet.` : `No leaderboard yet (${file}): exp promote NAME adds the first row.`,
      )
    else {
      const {renderLeaderboardTable} = await import('../leaderboard/render.js')
      const table = renderLeaderboardTable(view, outputStyle({wide: this.flags.wide}))
      this.log(table.text)
      if (table.hidden.length > 0) this.log(`(+${table.hidden.length} columns; --wide shows them)`)
    }
    if (view.rows.length < view.total) this.log(`(top ${view.rows.length} of ${view.total})`)
    if (html) this.log(`Wrote ${relativeToRoot(ws, html)}`)
    return {...view, file, html: html === null ? null : relativeToRoot(ws, html)}
  }
}

import path from 'node:path'

import {writeFileAtomic} from '../lib/atomic.js'
import {checkOutputFile} from '../workspace/output-file.js'
import type {Workspace} from '../workspace/workspace.js'
import {isLeaderboardHtml, renderLeaderboardHtml} from './html.js'
import type {LeaderboardView} from './leaderboard.js'

/**
 * Write the leaderboard page to `file` (only over a page exp wrote): which way is better from promote.direction,
 * the threshold line from exp.yaml gates on the metric, and each config linked relative to the page.
 */
export async function writeLeaderboardPage(
  ws: Workspace,
  view: LeaderboardView,
  file: string,
  generatedAt: Date,
): Promise<void> {
  await checkOutputFile(ws, file, {
    flag: '--html',
    isOurs: isLeaderboardHtml,
    what: 'an HTML page written by exp leaderboard',
  })
  const direction = ws.settings.promote.direction
  const gate = view.metric ? ws.settings.gates?.[view.metric] : undefined
  const threshold = direction === 'min' ? gate?.max : gate?.min
  const configHref = (config: string) => {
    const target = path.resolve(ws.root, config)
    return path.relative(path.dirname(file), target).split(path.sep).map(encodeURIComponent).join('/')
  }
  await writeFileAtomic(file, renderLeaderboardHtml(view, {configHref, direction, generatedAt, threshold}))
}

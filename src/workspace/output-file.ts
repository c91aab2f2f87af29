import {promises as fs} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {relativeToRoot, type Workspace} from './workspace.js'

/**
 * A file a person names for exp to write (`--html`, `--leaderboard-csv`): exp overwrites only a file of its own kind
 * (an HTML page exp wrote, a leaderboard), never a folder, never the workspace's exp.yaml or anything in .exp/, and
 * never creates folders for it. Checked before anything is written; the write itself then goes through a temporary
 * file beside the target.
 */
export interface OutputKind {
  /** the flag, for messages: --html */
  flag: string
  /** what exp writes there, for messages: "an HTML page written by exp" */
  what: string
  /** the first bytes of an existing file: is it one exp may replace? */
  isOurs(head: string): boolean
}

const HEAD_BYTES = 64 * 1024

export async function checkOutputFile(ws: Workspace, file: string, kind: OutputKind): Promise<void> {
  const rel = relativeToRoot(ws, file)
  const refuse = (why: string) => new ExpError(`${kind.flag} ${rel}: ${why}`, {code: 'BAD_OUTPUT_FILE'})
  if (file === ws.file || file === ws.paths.state || file.startsWith(ws.paths.state + path.sep)) {
    throw refuse(`that is the workspace's own ${file === ws.file ? 'settings file' : 'state'}; choose another file.`)
  }
  const stats = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw refuse(`cannot be used (${error.code ?? error.message}).`)
  })
  if (stats?.isDirectory()) throw refuse('is a folder; give a file name.')
  if (stats && !stats.isFile()) throw refuse('is not a regular file.')
  if (!stats) {
    const parent = await fs.stat(path.dirname(file)).catch(() => undefined)
    if (!parent?.isDirectory())
      throw refuse(
        `its folder ${relativeToRoot(ws, path.dirname(file))} does not exist (exp does not create folders for it).`,
      )
    return
  }
  const handle = await fs.open(file, 'r')
  let head: string
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, stats.size))
    await handle.read(buffer, 0, buffer.length, 0)
    head = buffer.toString('utf8')
  } finally {
    await handle.close()
  }
  if (head.trim() !== '' && !kind.isOurs(head))
    throw refuse(`exists and is not ${kind.what}; exp replaces only its own. Remove it or choose another file.`)
}

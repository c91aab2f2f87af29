import {randomBytes} from 'node:crypto'
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import type {Workspace} from '../workspace/workspace.js'
import {GENERATOR, KEY_META} from './html.js'

/**
 * Where `exp report --out` may write. A page replaces only a page exp wrote (its generator meta tag is in the
 * first bytes); never a directory, a symbolic link, another file, or anything of the workspace's own (exp.yaml,
 * exp.local.yaml, .exp/, experiments/, the archive, configs/). Kept here, apart from the leaderboard's --html
 * check, so the two can evolve without touching each other.
 */
export function checkPageTarget(ws: Workspace, file: string): void {
  const target = path.resolve(file)
  const inside = (dir: string) => target === dir || target.startsWith(dir + path.sep)
  const own = [
    path.join(ws.root, 'exp.yaml'),
    path.join(ws.root, 'exp.local.yaml'),
    path.join(ws.root, '.exp'),
    ws.paths.experiments,
    ws.paths.archive,
    ws.paths.configs,
  ]
  const hit = own.find((p) => inside(path.resolve(p)))
  if (hit)
    throw new ExpError(
      `refusing to write a page to ${file}: it is part of the workspace (${path.relative(ws.root, hit) || hit}).`,
      {code: 'OUT_REFUSED', suggestion: 'write it under reports/ or outside the workspace.'},
    )
  const stats = lstatSync(target, {throwIfNoEntry: false})
  if (!stats) return
  if (!stats.isFile())
    throw new ExpError(
      `refusing to write a page to ${file}: it is ${stats.isDirectory() ? 'a directory' : stats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}.`,
      {code: 'OUT_REFUSED'},
    )
  if (!isExpPage(target))
    throw new ExpError(`refusing to overwrite ${file}: it is not a page exp wrote.`, {
      code: 'OUT_REFUSED',
      suggestion: 'choose another --out, or remove the file first.',
    })
}

/** What an existing file's head says: whether exp wrote it, and the key of what it shows (see `page`); undefined when there is no file. */
export function readPageHead(file: string): {expPage: boolean; key?: string} | undefined {
  // asked first: a failed open throws, and building that error costs more than the question (1,000 new pages)
  if (!existsSync(file)) return undefined
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(2048)
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8')
    return {
      expPage: head.includes(`<meta name="generator" content="${GENERATOR}">`),
      key: new RegExp(`<meta name="${KEY_META}" content="([0-9a-f]+)">`).exec(head)?.[1],
    }
  } finally {
    closeSync(fd)
  }
}

export function isExpPage(file: string): boolean {
  return readPageHead(file)?.expPage ?? false
}

/**
 * Write a page whole or not at all (temporary file + rename), without fsync: a page is derived from the workspace
 * and rewritten by the next `exp report`, and 1,000 fsyncs would cost more than building the pages.
 */
let written = 0
/** one random tag per process, a counter per page: unique temporary names without a random draw per page */
const TAG = `${process.pid}.${randomBytes(4).toString('hex')}`

const madeDirs = new Set<string>()

function tmpName(file: string): string {
  const dir = path.dirname(file)
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, {recursive: true})
    madeDirs.add(dir)
  }
  return path.join(dir, `.${path.basename(file)}.${TAG}.${written++}.tmp`)
}

export function writePage(file: string, text: string): void {
  const tmp = tmpName(file)
  try {
    writeFileSync(tmp, text, {flag: 'wx'})
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw error
  }
}

/** The private folder beside `dir`'s pages where one exp process keeps its temporary files (see page-thread.ts). */
export function privateFolder(dir: string): string {
  return path.join(dir, `.exp-pages.${TAG}`)
}

import {randomBytes} from 'node:crypto'
import {promises as fs, closeSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync} from 'node:fs'
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
  const own = [path.join(ws.root, 'exp.yaml'), path.join(ws.root, 'exp.local.yaml'), path.join(ws.root, '.exp'), ws.paths.experiments, ws.paths.archive, ws.paths.configs]
  const hit = own.find((p) => inside(path.resolve(p)))
  if (hit) throw new ExpError(`refusing to write a page to ${file}: it is part of the workspace (${path.relative(ws.root, hit) || hit}).`, {code: 'OUT_REFUSED', suggestion: 'write it under reports/ or outside the workspace.'})
  const stats = lstatSync(target, {throwIfNoEntry: false})
  if (!stats) return
  if (!stats.isFile()) throw new ExpError(`refusing to write a page to ${file}: it is ${stats.isDirectory() ? 'a directory' : stats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}.`, {code: 'OUT_REFUSED'})
  if (!isExpPage(target)) throw new ExpError(`refusing to overwrite ${file}: it is not a page exp wrote.`, {code: 'OUT_REFUSED', suggestion: 'choose another --out, or remove the file first.'})
}

/** What an existing file's head says: whether exp wrote it, and the key of what it shows (see `page`). */
export function readPageHead(file: string): {expPage: boolean; key?: string} {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(2048)
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8')
    return {expPage: head.includes(`<meta name="generator" content="${GENERATOR}">`), key: new RegExp(`<meta name="${KEY_META}" content="([0-9a-f]+)">`).exec(head)?.[1]}
  } finally {
    closeSync(fd)
  }
}

export function isExpPage(file: string): boolean {
  return readPageHead(file).expPage
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


/**
 * Many pages: the same whole-or-nothing write, up to `depth` at once through libuv's threads, so a file system slow
 * to create files (a busy journal) does not stall the building of the next pages. The temporary files are created
 * in `shards` private folders beside the pages (ext4 creates one file at a time per folder; four folders create four
 * at once, measured 40% less wall time for 1,000 pages) and renamed into place; the folders are removed by `flush`,
 * which waits for all and throws the first failure.
 */
export function pageWriter(depth = 16, shards = 4): {write(file: string, text: string): Promise<void>; flush(): Promise<void>} {
  const pending = new Set<Promise<void>>()
  const tmpDirs = new Set<string>()
  let failure: unknown
  let n = 0
  const tmpFor = (file: string) => {
    const dir = path.join(path.dirname(file), `.exp-pages.${TAG}.${n++ % shards}`)
    if (!tmpDirs.has(dir)) {
      mkdirSync(dir, {recursive: true})
      tmpDirs.add(dir)
    }
    return path.join(dir, `${path.basename(file)}.tmp`)
  }
  const one = async (file: string, text: string) => {
    const tmp = tmpFor(file)
    try {
      await fs.writeFile(tmp, text, {flag: 'wx'})
      await fs.rename(tmp, file)
    } catch (error) {
      await fs.rm(tmp, {force: true})
      failure ??= error
    }
  }
  return {
    async flush() {
      await Promise.all(pending)
      await Promise.all([...tmpDirs].map((dir) => fs.rm(dir, {force: true, recursive: true})))
      tmpDirs.clear()
      if (failure) throw failure
    },
    async write(file, text) {
      if (failure) throw failure
      const p = one(file, text).finally(() => pending.delete(p))
      pending.add(p)
      if (pending.size >= depth) await Promise.race(pending)
    },
  }
}

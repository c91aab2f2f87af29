import fg from 'fast-glob'
import {
  closeSync,
  constants,
  copyFileSync,
  promises as fs,
  openSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {fsyncDir, fsyncFd} from './atomic.js'
import {sha256File} from './hash.js'

/** The checks of a journaled move (lib/journaled-move.ts) across filesystems, and durable copies of staged files. */

interface Entry {
  kind: 'file' | 'dir' | 'link'
  size: number
}

async function listTree(dir: string): Promise<Map<string, Entry>> {
  const entries = await fg('**', {
    cwd: dir,
    dot: true,
    followSymbolicLinks: false,
    objectMode: true,
    onlyFiles: false,
    stats: true,
  })
  const out = new Map<string, Entry>()
  for (const e of entries) {
    const kind = e.dirent.isSymbolicLink() ? 'link' : e.dirent.isDirectory() ? 'dir' : 'file'
    out.set(e.path, {kind, size: e.stats!.size})
  }
  return out
}

/**
 * Every file of `src` is in `dst` with the same size and sha256 (symlinks: the same target). Without `subset`, dst
 * holds nothing else. With `sync`, each file of dst is fsynced once verified (it is about to become the only copy).
 */
export async function verifyCopy(
  src: string,
  dst: string,
  options: {subset?: boolean; sync?: boolean} = {},
): Promise<void> {
  const [from, to] = await Promise.all([listTree(src), listTree(dst)])
  const fail = (what: string) => {
    throw new ExpError(`the copy of ${src} in ${dst} is not identical (${what}); nothing was removed.`, {
      code: 'VERIFY_FAILED',
    })
  }
  if (!options.subset && from.size !== to.size) fail(`${from.size} entries in the source, ${to.size} in the copy`)
  for (const [rel, a] of from) {
    const b = to.get(rel)
    if (!b || b.kind !== a.kind) fail(`${rel} is missing`)
    if (a.kind === 'link') {
      if ((await fs.readlink(path.join(src, rel))) !== (await fs.readlink(path.join(dst, rel))))
        fail(`${rel} points elsewhere`)
    } else if (a.kind === 'file') {
      if (a.size !== b!.size) fail(`${rel}: ${a.size} bytes in the source, ${b!.size} in the copy`)
      if ((await sha256File(path.join(src, rel))) !== (await sha256File(path.join(dst, rel))))
        fail(`${rel}: different content`)
      if (options.sync) await syncFile(path.join(dst, rel))
    }
  }
  if (options.sync) for (const [rel, b] of to) if (b.kind === 'dir') await fsyncDir(path.join(dst, rel))
}

async function syncFile(file: string): Promise<void> {
  const fd = openSync(file, 'r')
  try {
    await fsyncFd(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Copy a file, keep its times, and make it durable (it is staged to arrive with a moved experiment; its folder
 * exists). Answers the copy's sha256 and size.
 */
export async function copyFileDurable(from: string, to: string): Promise<{bytes: number; sha256: string}> {
  copyFileSync(from, to, constants.COPYFILE_EXCL)
  const stat = statSync(from)
  utimesSync(to, stat.atime, stat.mtime)
  await syncFile(to)
  const [a, b] = await Promise.all([sha256File(from), sha256File(to)])
  if (a !== b) throw new ExpError(`copying ${from} to ${to} produced different content.`, {code: 'VERIFY_FAILED'})
  return {bytes: stat.size, sha256: a}
}

/**
 * Write a file that is staged to arrive with a moved experiment (its folder exists): written and fsynced in place, no
 * temporary name (staged files are all-or-nothing already: rolled back, or renamed into place after the commit).
 */
export async function writeStaged(file: string, data: string): Promise<void> {
  const fd = openSync(file, 'wx')
  try {
    writeFileSync(fd, data)
    await fsyncFd(fd)
  } finally {
    closeSync(fd)
  }
}

import {closeSync, fsync, openSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {randomHex} from './node-crypto.js'

/**
 * Write a file so that readers see either the old or the new content, never a part:
 * write a temporary file in the same directory, fsync it, rename it over the target, fsync the directory.
 * A write that fails at any step (a full disk, an I/O error) removes its temporary file before it throws.
 * `createDir: false` refuses to create the folder (a run record must never bring back a folder that was moved away).
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode?: number,
  options: {createDir?: boolean} = {},
): Promise<void> {
  const dir = path.dirname(file)
  if (options.createDir !== false) await fs.mkdir(dir, {recursive: true})
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomHex(4)}.tmp`)
  const handle = await fs.open(tmp, 'wx', mode ?? 0o644).catch((error: NodeJS.ErrnoException) => {
    if (error.path === tmp) error.path = file
    throw error
  })
  try {
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, file)
  } catch (error) {
    await fs.rm(tmp, {force: true}).catch(() => {})
    // name the file being written, not its temporary twin
    if ((error as NodeJS.ErrnoException).path === tmp) (error as NodeJS.ErrnoException).path = file
    throw error
  }
  await fsyncDir(dir)
}

export async function writeJsonAtomic(
  file: string,
  value: unknown,
  options: {createDir?: boolean} = {},
): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', undefined, options)
}

/** Make a rename or a new entry in `dir` durable. Best effort: some filesystems refuse fsync on directories. */
export async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    await fsyncFd(fd)
  } catch {
    // not supported here; the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * fsync an open descriptor on the thread pool — the one step that waits for the device, so that many can wait at
 * once. The steps around it (open, write, close, rename, stat) are synchronous where a move does hundreds of them:
 * each takes microseconds, while handing it to the thread pool costs a thread wake-up and a callback (measured:
 * ~40% of archiving's main-thread time at 10,000 experiments went to submitting lstat calls).
 */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (error) => (error ? reject(error) : resolve()))
  })
}

/** Create a file only if it does not exist yet. Returns false when it existed (and leaves it untouched). */
export async function writeFileIfAbsent(file: string, data: string): Promise<boolean> {
  await fs.mkdir(path.dirname(file), {recursive: true})
  try {
    await fs.writeFile(file, data, {flag: 'wx'})
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

import os from 'node:os'

/**
 * sha256 of many files on every core: a pool of worker threads, each reading its file synchronously in fixed
 * 4 MiB chunks into one reused buffer (constant memory whatever the file sizes) and hashing them with OpenSSL
 * (node:crypto). The largest files go first so one big file never ends the run alone. Progress is reported in
 * bytes as the chunks are hashed. The worker is an inline script, so it works the same from dist/ and under tsx.
 */
/**
 * One file's sha256 in fixed chunks into `buffer`, reporting progress every 64 MiB. It runs in the worker threads
 * (its source is put into theirs, so it refers to nothing outside itself) and, for a small checkpoint, in this one.
 */
function hashOne(
  fs: typeof import('node:fs'),
  createHash: typeof import('node:crypto').createHash,
  buffer: Buffer,
  file: string,
  progress: (bytes: number) => void,
): {sha256: string; bytes: number} {
  const fd = fs.openSync(file, 'r')
  try {
    const hash = createHash('sha256')
    let bytes = 0
    let pending = 0
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n))
      bytes += n
      pending += n
      if (pending >= 64 * 1024 * 1024) {
        progress(pending)
        pending = 0
      }
    }
    progress(pending)
    return {bytes, sha256: hash.digest('hex')}
  } finally {
    fs.closeSync(fd)
  }
}

const errorOf = (error: unknown): string => {
  const e = error as {code?: unknown; message?: unknown} | undefined
  return String((e && e.code) || (e && e.message) || error)
}

const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const fs = require('node:fs')
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024)
const hashOne = ${hashOne.toString()}
const errorOf = ${errorOf.toString()}
parentPort.on('message', ({id, file}) => {
  try {
    let progress = 0
    const done = hashOne(fs, createHash, buffer, file, (bytes) => {
      if (progress > 0) parentPort.postMessage({id, progress})
      progress = bytes
    })
    parentPort.postMessage({id, progress, sha256: done.sha256, bytes: done.bytes})
  } catch (error) {
    parentPort.postMessage({id, error: errorOf(error)})
  }
})
`

/**
 * Below this many bytes in all, the files are hashed in this thread: starting a worker thread (~10-30 ms, a fresh
 * V8 isolate) costs more than hashing them (a one-file or empty checkpoint after every train).
 */
export const INLINE_BYTES = 8 * 1024 * 1024

export interface HashedFile {
  sha256?: string
  bytes?: number
  /** why it could not be read (an errno code such as EACCES, or a message) */
  error?: string
}

export interface HashPoolOptions {
  /** threads; default: one per core, never more than there are files */
  threads?: number
  /** called with the bytes hashed since the last call */
  onProgress?: (bytes: number) => void
}

/** Hash `files` (absolute paths, with their expected sizes for ordering); results in the same order. */
export async function hashFiles(
  files: Array<{file: string; size: number}>,
  options: HashPoolOptions = {},
): Promise<HashedFile[]> {
  const results: HashedFile[] = Array.from({length: files.length})
  if (files.length === 0) return results
  if (files.reduce((n, f) => n + f.size, 0) <= INLINE_BYTES) return hashInline(files, results, options)
  const order = files.map((_, i) => i).sort((a, b) => files[b].size - files[a].size)
  const threads = Math.max(1, Math.min(options.threads ?? os.availableParallelism(), files.length))
  // node:worker_threads loads only here: at start-up it cost every command that can hash (launch, list) ≈ 1.5 ms
  const {Worker} = await import('node:worker_threads')
  let next = 0
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {eval: true})
      const feed = () => {
        if (next >= order.length) {
          void worker.terminate().then(() => resolve(), reject)
          return
        }
        const id = order[next++]
        worker.postMessage({file: files[id].file, id})
      }
      worker.on('message', (m: {id: number; progress?: number; sha256?: string; bytes?: number; error?: string}) => {
        if (m.progress) options.onProgress?.(m.progress)
        if (m.sha256 === undefined && m.error === undefined) return
        results[m.id] = m.error === undefined ? {bytes: m.bytes, sha256: m.sha256} : {error: m.error}
        feed()
      })
      worker.on('error', reject)
      feed()
    })
  await Promise.all(Array.from({length: threads}, runWorker))
  return results
}

async function hashInline(
  files: Array<{file: string}>,
  results: HashedFile[],
  options: HashPoolOptions,
): Promise<HashedFile[]> {
  const [fs, {createHash}] = await Promise.all([import('node:fs'), import('node:crypto')])
  const buffer = Buffer.allocUnsafe(1024 * 1024)
  for (const [i, {file}] of files.entries()) {
    try {
      results[i] = hashOne(fs, createHash, buffer, file, (bytes) => bytes > 0 && options.onProgress?.(bytes))
    } catch (error) {
      results[i] = {error: errorOf(error)}
    }
  }
  return results
}

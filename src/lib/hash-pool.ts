import os from 'node:os'
import {Worker} from 'node:worker_threads'

/**
 * sha256 of many files on every core: a pool of worker threads, each reading its file synchronously in fixed
 * 4 MiB chunks into one reused buffer (constant memory whatever the file sizes) and hashing them with OpenSSL
 * (node:crypto). The largest files go first so one big file never ends the run alone. Progress is reported in
 * bytes as the chunks are hashed. The worker is an inline script, so it works the same from dist/ and under tsx.
 */
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const fs = require('node:fs')
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024)
parentPort.on('message', ({id, file}) => {
  let fd
  try {
    fd = fs.openSync(file, 'r')
    const hash = createHash('sha256')
    let bytes = 0
    let pending = 0
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n))
      bytes += n
      pending += n
      if (pending >= 64 * 1024 * 1024) { parentPort.postMessage({id, progress: pending}); pending = 0 }
    }
    parentPort.postMessage({id, progress: pending, sha256: hash.digest('hex'), bytes})
  } catch (error) {
    parentPort.postMessage({id, error: String(error && error.code || error && error.message || error)})
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
})
`

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
export async function hashFiles(files: Array<{file: string; size: number}>, options: HashPoolOptions = {}): Promise<HashedFile[]> {
  const results: HashedFile[] = Array.from({length: files.length})
  if (files.length === 0) return results
  const order = files.map((_, i) => i).sort((a, b) => files[b].size - files[a].size)
  const threads = Math.max(1, Math.min(options.threads ?? os.availableParallelism(), files.length))
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

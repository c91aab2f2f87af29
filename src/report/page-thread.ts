import {Worker} from 'node:worker_threads'

import {CONFIG_FILE} from '../records/files.js'
import {METRICS_FILE} from '../runs/metrics.js'
import {type AheadMessage, READ_AHEAD_SOURCE, type ReadAhead, readAheadOf} from './read-ahead.js'

/**
 * `exp report --all`'s pages written by one worker thread, one after another, while the main thread builds the next.
 * Creating a file is what writing a page costs most: a new inode, measured at ~0.25 ms of system time and up to
 * ~1 ms of wall time each on a busy ext4, where 2 or 4 threads creating at once took more time than one (so one
 * thread, not libuv's pool of four). The thread also creates the temporary files ahead (`spares`: about the number
 * of pages that do not exist yet) while the main thread is still scanning, so the slow part overlaps the scan;
 * a page then costs an open of an existing empty file, a write and a rename. Each page is still whole or absent
 * (temporary file + rename, no fsync: see writePage). The temporary files live in a private folder beside the pages,
 * removed by `flush`. The worker is an inline script, so it works the same from dist/ and under tsx.
 * Before that it reads ahead what building the pages of the experiments that have no page yet (`aheadDirs`) reads
 * besides the scan, while the main thread scans (read-ahead.ts).
 */
const WORKER_SOURCE = `
const {parentPort, workerData: {dir, spares, aheadDirs, configFile, metricsFile}} = require('node:worker_threads')
const fs = require('node:fs')
const path = require('node:path')
let made = 0
let used = 0
let failure
let closed = false
const spare = () => fs.closeSync(fs.openSync(dir + '/' + made++ + '.tmp', 'wx'))
function ahead() {
  if (closed || failure || made >= spares) return
  try { spare() } catch (error) { failure = error; report(); return }
  setImmediate(ahead)
}
const report = () => parentPort.postMessage({failure: {message: String(failure && failure.message || failure), code: failure && failure.code}})
parentPort.on('message', (m) => {
  if (m === 'flush') {
    closed = true
    try { fs.rmSync(dir, {force: true, recursive: true}) } catch (error) { failure = failure || error }
    parentPort.postMessage({done: true, failure: failure ? {message: String(failure.message || failure), code: failure.code} : undefined})
    return
  }
  for (const page of m) if (!failure) write(page)
})
function write(m) {
  let tmp
  try {
    if (used >= made) spare()
    tmp = dir + '/' + used++ + '.tmp'
    fs.writeFileSync(tmp, m.text, {flag: 'r+'})
    fs.renameSync(tmp, m.file)
  } catch (error) {
    failure = error
    if (tmp) fs.rmSync(tmp, {force: true})
    report()
  }
}
${READ_AHEAD_SOURCE}
try { fs.mkdirSync(dir, {recursive: true}) } catch (error) { failure = error; report() }
readAhead()
setImmediate(ahead)
`

export interface PageThread {
  /** queue a page (throws the first failure the thread met, so no more pages are built after one failed) */
  write(file: string, text: string): void
  /** every queued page written and the temporary folder removed; throws the first failure */
  flush(): Promise<void>
  /** what the thread read ahead (nothing when it stopped first) */
  readAhead(): Promise<ReadAhead>
}

function asError(failure: {message: string; code?: string}): Error {
  return Object.assign(new Error(failure.message), failure.code ? {code: failure.code} : {})
}

const BATCH = 64

/**
 * `dir`: the private folder for the temporary files (on the pages' file system); `aheadDirs`: the experiment folders
 * that have no page yet: what building theirs reads is read ahead, and as many temporary files are created ahead.
 */
export function pageThread(dir: string, aheadDirs: string[]): PageThread {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {aheadDirs, configFile: CONFIG_FILE, dir, metricsFile: METRICS_FILE, spares: aheadDirs.length},
  })
  let failure: Error | undefined
  let finish: ((error?: Error) => void) | undefined
  let gotAhead: (ahead: ReadAhead) => void = () => {}
  const ahead = new Promise<ReadAhead>((resolve) => (gotAhead = resolve))
  let exited = false
  // pages go to the thread 64 at a time: each message costs the main thread ~0.1 ms, more than a page's clone (8 a
  // message: 46 ms of 1,000 pages' postMessage in the profile, 64: 23 ms; 128 no less)
  let batch: Array<{file: string; text: string}> = []
  const send = () => {
    if (batch.length === 0 || exited) return
    worker.postMessage(batch)
    batch = []
  }
  worker.on('message', (m: {done?: boolean; failure?: {message: string; code?: string}; ahead?: AheadMessage}) => {
    if (m.failure) failure ??= asError(m.failure)
    if (m.ahead) gotAhead(readAheadOf(m.ahead))
    if (m.done) finish?.(failure)
  })
  worker.on('error', (error) => {
    failure ??= error
    gotAhead(readAheadOf())
    finish?.(failure)
  })
  worker.on('exit', () => {
    exited = true
    gotAhead(readAheadOf())
    finish?.(failure ?? new Error('the page writer thread stopped'))
  })
  return {
    readAhead: () => ahead,
    async flush() {
      send()
      const error = exited
        ? (failure ?? new Error('the page writer thread stopped'))
        : await new Promise<Error | undefined>((resolve) => {
            finish = resolve
            worker.postMessage('flush')
          })
      await worker.terminate()
      if (error) throw error
    },
    write(file, text) {
      if (failure) throw failure
      batch.push({file, text})
      if (batch.length >= BATCH) send()
    },
  }
}

import {promises as fs, readFileSync, watch} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {bootId} from '../../src/lib/process-identity.js'

export interface HeldLock {
  /** resolves once another exp process waits for the lock (its lock temporary file appears) */
  someoneWaits: (ms?: number) => Promise<void>
  release: () => Promise<void>
}

/**
 * The workspace lock, held by this test process as by an archive in progress: a command started now checks what it
 * acts on, then waits for the lock; the test changes the workspace under it (as the archive would) and releases.
 */
export async function holdWorkspaceLock(ws: string): Promise<HeldLock> {
  const lock = path.join(ws, '.exp', 'lock')
  await fs.mkdir(path.dirname(lock), {recursive: true})
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  const owner = {
    boot_id: bootId(),
    command: 'archive',
    host: os.hostname(),
    nonce: 'feedfacefeedface',
    pid: process.pid,
    since: new Date().toISOString(),
    start,
  }
  await fs.writeFile(lock, JSON.stringify(owner))
  let waiting = false
  const watcher = watch(path.dirname(lock), (_event, file) => {
    if (file && /^lock\.\d+\.[0-9a-f]+\.tmp$/.test(String(file))) waiting = true
  })
  return {
    release: async () => {
      watcher.close()
      await fs.rm(lock)
    },
    someoneWaits: async (ms = 20_000) => {
      const deadline = Date.now() + ms
      try {
        while (!waiting) {
          if (Date.now() > deadline) throw new Error('no exp process waited for the workspace lock')
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      } finally {
        watcher.close()
      }
    },
  }
}

import {execa, type ResultPromise} from 'execa'
import {promises as fs} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {removeDir, tempDir} from './exp.js'

/**
 * Real rclone for tests, never the runner's own config: an empty RCLONE_CONFIG file in the test folder, a local-directory
 * remote `loc:` and a WebDAV remote `dav:` served on loopback by `rclone serve webdav` (started once per test file).
 */
export interface RcloneFixture {
  dir: string
  /** the folder the WebDAV server serves (what `dav:` is) */
  served: string
  env: Record<string, string>
  port: number
  start(): Promise<void>
  stop(): Promise<void>
  cleanup(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net
        .connect(port, '127.0.0.1', () => resolve(socket.end() && true))
        .once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`rclone serve webdav did not listen on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function rcloneFixture(): Promise<RcloneFixture> {
  const dir = await tempDir('exp-rclone-')
  const served = path.join(dir, 'served')
  await fs.mkdir(served)
  const config = path.join(dir, 'rclone.conf')
  await fs.writeFile(config, '')
  const port = await freePort()
  const env = {
    RCLONE_CONFIG: config,
    RCLONE_CONFIG_DAV_TYPE: 'webdav',
    RCLONE_CONFIG_DAV_URL: `http://127.0.0.1:${port}`,
    RCLONE_CONFIG_DAV_VENDOR: 'other',
    RCLONE_CONFIG_LOC_TYPE: 'local',
  }
  let server: ResultPromise | undefined
  const fixture: RcloneFixture = {
    async cleanup() {
      await fixture.stop()
      await fs.rm(dir, {force: true, recursive: true})
    },
    dir,
    env,
    port,
    served,
    async start() {
      server = execa('rclone', ['serve', 'webdav', served, '--addr', `127.0.0.1:${port}`, '-q'], {
        env: {...process.env, ...env},
        reject: false,
      })
      await waitForPort(port)
    },
    async stop() {
      if (!server) return
      server.kill('SIGKILL')
      await server
      server = undefined
    },
  }
  await fixture.start()
  return fixture
}

/** A describe's fixture: started before its tests, stopped after them, with the workspaces they made (`dirs`) removed. */
export function rcloneSuite(): {readonly rc: RcloneFixture; dirs: string[]} {
  let fixture: RcloneFixture | undefined
  const dirs: string[] = []
  before(async () => {
    fixture = await rcloneFixture()
  })
  after(async () => {
    await fixture?.cleanup()
    for (const d of dirs) await removeDir(d)
  })
  return {
    dirs,
    get rc() {
      return fixture!
    },
  }
}

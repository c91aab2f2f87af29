import {createHash} from 'node:crypto'
import {mkdtempSync, promises as fs, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * What the whole mocha run shares (loaded with `--require`, see .mocharc.cjs). mocha runs the global fixtures once,
 * in its main process, even in parallel mode: the setup makes a folder for servers started once per suite (the SLURM
 * cluster, test/support/slurm.ts) and names it in EXP_TEST_SHARED_DIR, which the worker processes inherit; the
 * teardown stops what was started there and removes it. The root hooks run in every worker once per test file (once
 * per run when serial): they write each file's wall time and exp calls for test/support/timing-reporter.cjs.
 */
export const SHARED_ENV = 'EXP_TEST_SHARED_DIR'

/** Shared servers register a stop step here (run by the teardown, in the main process). */
const STOPS = 'stops'

export async function mochaGlobalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-test-shared-'))
  await fs.mkdir(path.join(dir, STOPS))
  await fs.mkdir(path.join(dir, 'timing'))
  process.env[SHARED_ENV] = dir
}

export async function mochaGlobalTeardown(): Promise<void> {
  const dir = process.env[SHARED_ENV]
  if (!dir) return
  const stops = await fs.readdir(path.join(dir, STOPS)).catch(() => [])
  for (const name of stops) {
    const {module, fn, arg} = JSON.parse(await fs.readFile(path.join(dir, STOPS, name), 'utf8'))
    const mod = await import(module)
    await mod[fn](arg)
  }
  rmSync(dir, {force: true, recursive: true})
}

/** The shared folder, or undefined when the run has none (mocha started without this module). */
export function sharedDir(): string | undefined {
  return process.env[SHARED_ENV] || undefined
}

/** Ask the teardown to call `fn(arg)` of the module at `module` (an absolute path). */
export async function registerStop(name: string, module: string, fn: string, arg: unknown): Promise<void> {
  const dir = sharedDir()
  if (dir) await fs.writeFile(path.join(dir, STOPS, name), JSON.stringify({arg, fn, module}))
}

/**
 * Run `make` once per suite across every worker process: the first caller holds a lock (a folder made atomically)
 * while it makes the value and stores it as JSON under `name`; the others wait for that and read it.
 */
export async function oncePerSuite<T>(name: string, make: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const dir = sharedDir()
  if (!dir) return make()
  const value = path.join(dir, `${name}.json`)
  const lock = path.join(dir, `${name}.lock`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stored = await fs.readFile(value, 'utf8').catch(() => undefined)
    if (stored !== undefined) return JSON.parse(stored) as T
    const mine = await fs.mkdir(lock).then(
      () => true,
      () => false,
    )
    if (mine) {
      try {
        const made = await make()
        const tmp = `${value}.${process.pid}.tmp`
        await fs.writeFile(tmp, JSON.stringify(made))
        await fs.rename(tmp, value)
        return made
      } finally {
        await fs.rm(lock, {force: true, recursive: true})
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the shared ${name}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface TimingContext {
  test?: {parent?: Mocha.Suite}
}

let fileStarted = 0
let countsAtStart = {child: 0, inProcess: 0}
const counts = () =>
  ((globalThis as {__expCallCounts?: {child: number; inProcess: number}}).__expCallCounts ??= {child: 0, inProcess: 0})

/** Per test file in parallel mode (each worker runs one file at a time): its wall time, tests and exp calls. */
export const mochaHooks = {
  beforeAll() {
    fileStarted = Date.now()
    countsAtStart = {...counts()}
  },
  async afterAll(this: TimingContext) {
    const dir = sharedDir()
    const root = this.test?.parent
    if (!dir || !root) return
    const files = [...new Set(root.suites.map((s) => s.file).filter(Boolean))] as string[]
    if (files.length !== 1) return // serial mode: the reporter times each file itself
    const file = path.relative(process.cwd(), files[0])
    const now = counts()
    const row = {
      child: now.child - countsAtStart.child,
      file,
      inProcess: now.inProcess - countsAtStart.inProcess,
      ms: Date.now() - fileStarted,
      tests: root.total(),
    }
    const name = createHash('sha256').update(file).digest('hex').slice(0, 16)
    await fs.writeFile(path.join(dir, 'timing', `${name}.json`), JSON.stringify(row))
  },
}

import {execa, type Options} from 'execa'
import {createHash} from 'node:crypto'
import {promises as fs, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {inProcessRefusal, runInProcess} from './in-process.js'

/** The repository root and the built binary the tests run, as a user would. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const EXP_BIN = path.join(ROOT, 'bin', 'run.cjs')

/** exp's settings cache for this test process (never the runner's own ~/.cache/exp), removed at exit. */
const CACHE_DIR = mkdtempSync(path.join(os.tmpdir(), 'exp-test-cache-'))
process.on('exit', () => rmSync(CACHE_DIR, {force: true, recursive: true}))

/** how many exp calls this process made, by kind (test/support/timing-reporter.cjs prints them per file) */
function callCounts(): {child: number; inProcess: number} {
  const g = globalThis as {__expCallCounts?: {child: number; inProcess: number}}
  return (g.__expCallCounts ??= {child: 0, inProcess: 0})
}

export interface ExpResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env?: Record<string, string | undefined>
  input?: string
  timeout?: number
  /** always through the built binary in a child process, even inside `inProcess()` (start-up, signals, kills) */
  e2e?: boolean
}

let inProcessDepth = 0

/**
 * Inside the describe that calls this, `exp()` runs commands in the mocha process (test/support/in-process.ts: the
 * same built bundle, without the binary's start-up) unless a call asks for `e2e: true` or cannot run there (help, a
 * second call at the same time, stdin input, EXP_TEST_KILL_AT), which then runs as a child process. EXP_TEST_IN_PROCESS=1
 * makes it the default everywhere, =0 turns it off everywhere.
 */
export function inProcess(): void {
  before(() => {
    inProcessDepth++
  })
  after(() => {
    inProcessDepth--
  })
}

function wantsInProcess(options: RunOptions): boolean {
  const forced = process.env.EXP_TEST_IN_PROCESS
  if (options.e2e || forced === '0') return false
  return forced === '1' || inProcessDepth > 0
}

/**
 * Run the built `exp` (no terminal: stdin is a pipe, as in CI and cron): in a child process, or in this process
 * inside `inProcess()`; both give the same stdout, stderr and exit code (test/cli/in-process.test.ts).
 */
export async function exp(args: string[], options: RunOptions): Promise<ExpResult> {
  const call = callOf(args, options)
  if (wantsInProcess(options) && !inProcessRefusal({...call, input: options.input})) {
    callCounts().inProcess++
    return runInProcess(call)
  }
  return expChild(args, call.env, options)
}

/** `exp` in this process, whatever the describe chose; fails when the call cannot run in-process (see `exp`). */
export async function expIn(args: string[], options: RunOptions): Promise<ExpResult> {
  const call = callOf(args, options)
  const refused = inProcessRefusal({...call, input: options.input})
  if (refused) throw new Error(`exp ${args.join(' ')} cannot run in-process: ${refused}`)
  callCounts().inProcess++
  return runInProcess(call)
}

function callOf(args: string[], options: RunOptions) {
  const env = {EXP_ROOT: undefined, DEBUG: undefined, EXP_CACHE_DIR: CACHE_DIR, ...options.env}
  return {args, bin: EXP_BIN, cwd: options.cwd, env, root: ROOT}
}

async function expChild(
  args: string[],
  env: Record<string, string | undefined>,
  options: RunOptions,
): Promise<ExpResult> {
  callCounts().child++
  const result = await execa(process.execPath, [EXP_BIN, ...args], {
    cwd: options.cwd,
    env,
    input: options.input ?? '',
    reject: false,
    timeout: options.timeout ?? 60_000,
  } as Options)
  return {code: result.exitCode ?? 1, stderr: String(result.stderr), stdout: String(result.stdout)}
}

/** `exp ... --json`, parsed; fails the test with stderr when the output is not JSON. */
export async function expJson<T = any>(
  args: string[],
  options: RunOptions,
): Promise<{code: number; json: T; stderr: string}> {
  const r = await exp([...args, '--json'], options)
  try {
    return {code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr}
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
  }
}

export async function tempDir(prefix = 'exp-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix))
}

/** A fresh workspace made by the real `exp init`. */
export async function tempWorkspace(): Promise<string> {
  const dir = await tempDir()
  const r = await exp(['init', dir], {cwd: dir})
  if (r.code !== 0) throw new Error(`exp init failed: ${r.stderr}`)
  return dir
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fs.rm(dir, {force: true, recursive: true})
}

/** Set the mtime of a path and everything under it to `daysAgo` days before now. */
export async function age(target: string, daysAgo: number): Promise<void> {
  const when = new Date(Date.now() - daysAgo * 86_400_000)
  const visit = async (p: string) => {
    const stat = await fs.lstat(p)
    if (stat.isDirectory()) for (const e of await fs.readdir(p)) await visit(path.join(p, e))
    await fs.utimes(p, when, when)
  }
  await visit(target)
}

/** Write files under a root from an inline tree: {'a/b.json': {...}} (objects become JSON). */
export async function writeTree(root: string, tree: Record<string, string | object>): Promise<void> {
  for (const [rel, content] of Object.entries(tree)) {
    const file = path.join(root, rel)
    await fs.mkdir(path.dirname(file), {recursive: true})
    await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
}

/** Every file under dir with its sha256 and every directory: compare before/after to prove nothing changed. */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const visit = async (p: string) => {
    const stat = await fs.lstat(p).catch(() => undefined)
    if (!stat) return
    const rel = path.relative(dir, p) || '.'
    if (stat.isDirectory()) {
      out[rel + '/'] = 'dir'
      for (const e of (await fs.readdir(p)).sort()) await visit(path.join(p, e))
    } else {
      out[rel] = createHash('sha256')
        .update(await fs.readFile(p))
        .digest('hex')
    }
  }
  await visit(dir)
  return out
}

/** Make an experiment directory by hand (as a researcher's old experiments look), without exp new. */
export async function makeExperiment(
  ws: string,
  name: string,
  tree: Record<string, string | object> = {},
): Promise<string> {
  const dir = path.join(ws, 'experiments', name)
  await writeTree(dir, {'config.yaml': 'model:\n  latent_dim: 8\n', 'notes.md': `# ${name}\n`, ...tree})
  return dir
}

/**
 * Skip a test (or a whole describe, from `before`) when a real tool is missing on this machine, with the reason
 * visible in the report. In CI (EXP_TEST_REQUIRE_ALL=1) a missing tool is a failure instead: CI installs them all.
 */
export function requireTool(ctx: Mocha.Context, available: boolean, reason: string): void {
  if (available) return
  if (process.env.EXP_TEST_REQUIRE_ALL === '1') throw new Error(`required in CI but missing: ${reason}`)
  ctx.skip()
}

/** A refusal: non-zero exit, one line on stderr matching `pattern`, never reported as a bug. */
export function assertOneLineError(r: ExpResult, pattern: RegExp): void {
  if (r.code === 0) throw new Error(`expected a failure, got exit 0:\n${r.stdout}`)
  const lines = r.stderr.trim().split('\n')
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got:\n${r.stderr}`)
  if (/this is a bug/.test(r.stderr)) throw new Error(`reported as a bug: ${r.stderr}`)
  if (!pattern.test(r.stderr)) throw new Error(`stderr does not match ${pattern}: ${r.stderr}`)
}

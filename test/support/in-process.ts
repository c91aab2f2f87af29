import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

/**
 * `exp` run inside the mocha process: the same built bundle bin/run.cjs runs (dist/, oclif's manifest, the
 * configuration without plugins that bin/run.cjs uses for exp's own commands, and its start-up fast path), with the
 * test's argv, cwd and env applied for the call and restored after it, stdout/stderr captured, stdin/stdout/stderr seen as no terminal
 * (as in CI and cron), and the exit code taken from process.exitCode or oclif's error handling, as the process would
 * exit. It saves the binary's start-up (≈ 0.2–0.3 s a call) where a real process adds nothing to what a test checks.
 *
 * What cannot run here is refused by `inProcessRefusal` and runs as a child process instead (test/support/exp.ts):
 * help and unknown commands (oclif's full path), a call while another in-process call runs (a race needs two
 * processes), input on stdin, and the crash-test switch EXP_TEST_KILL_AT (it SIGKILLs its own process).
 */
export interface InProcessCall {
  args: string[]
  cwd: string
  env: Record<string, string | undefined>
  bin: string
  root: string
}

export interface InProcessResult {
  code: number
  stdout: string
  stderr: string
}

let busy = false
type Manifest = Record<string, {pluginType?: string}>
let manifestCommands: Manifest | undefined

/** Why this call must run as a child process, or undefined when it can run in-process. */
export function inProcessRefusal(call: InProcessCall & {input?: string}): string | undefined {
  if (busy) return 'another in-process call is running'
  if (call.input) return 'input on stdin'
  if (!existsSync(call.cwd)) return 'no such working directory'
  if (call.env.EXP_TEST_KILL_AT) return 'EXP_TEST_KILL_AT kills its process'
  if (call.args.some((a) => a === '--help' || a === '-h' || a === '--' || a === '--version' || a === '-v'))
    return 'help or version'
  manifestCommands ??= (
    JSON.parse(readFileSync(path.join(call.root, 'oclif.manifest.json'), 'utf8')) as {commands: Manifest}
  ).commands
  return commandId(call.args) ? undefined : 'not one of exp’s own commands'
}

/** the command's id in the manifest, as bin/run.cjs finds it (`graph show` → graph:show) */
function commandId(args: string[]): string | undefined {
  const commands = manifestCommands ?? {}
  const [a, b] = args
  return [`${a}:${b}`, a].find((c) => Object.hasOwn(commands, c) && commands[c].pluginType === 'core')
}

/**
 * bin/run.cjs's start-up fast path (dist/fast/): a hot command with plain arguments runs without oclif; false when
 * the path declines (having done nothing) or is off (EXP_NO_FAST_PATH, DEBUG), as in the binary.
 */
async function runFastPath(root: string, args: string[]): Promise<boolean> {
  const id = commandId(args)
  if (!id || process.env.EXP_NO_FAST_PATH || process.env.DEBUG) return false
  const file = path.join(root, 'dist', 'fast', 'commands', `${id.replaceAll(':', '/')}.cjs`)
  if (!existsSync(file)) return false
  const load = createRequire(import.meta.url)
  const {runFast} = load(path.join(root, 'dist', 'fast', 'run.cjs'))
  return runFast(load(file), manifestCommands![id], args.slice(id.split(':').length))
}

type Oclif = {
  Config: {load: (options: unknown) => Promise<unknown>}
  handle: (error: Error) => Promise<void>
  run: (argv: string[], config: unknown) => Promise<unknown>
}
let loaded: Promise<{oclif: Oclif; config: unknown}> | undefined

async function load(root: string): Promise<{oclif: Oclif; config: unknown}> {
  const mod = await import(pathToFileURL(path.join(root, 'dist', 'oclif.js')).href)
  const oclif = (mod.default?.Config ? mod.default : (mod.default?.default ?? mod)) as Oclif
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  pjson.oclif.plugins = []
  return {config: await oclif.Config.load({pjson, root}), oclif}
}

type Write = typeof process.stdout.write
const STREAM_PROPS = ['isTTY', 'columns', 'rows'] as const

/** Run one exp command in this process (call `inProcessRefusal` first). */
export async function runInProcess(call: InProcessCall): Promise<InProcessResult> {
  busy = true
  const saved = {
    argv: process.argv,
    cwd: process.cwd(),
    env: {...process.env},
    exit: process.exit,
    exitCode: process.exitCode,
  }
  const out: string[] = []
  const err: string[] = []
  const writes = {stderr: process.stderr.write, stdout: process.stdout.write}
  const streamProps = [process.stdin, process.stdout, process.stderr].map((s) =>
    STREAM_PROPS.map((p) => Object.getOwnPropertyDescriptor(s, p)),
  )
  let exitCalled: number | undefined
  try {
    for (const s of [process.stdin, process.stdout, process.stderr]) {
      for (const p of STREAM_PROPS) Object.defineProperty(s, p, {configurable: true, value: undefined, writable: true})
    }
    const capture = (into: string[]): Write =>
      ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
        into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
        const done = typeof encoding === 'function' ? encoding : cb
        if (typeof done === 'function') process.nextTick(done as () => void)
        return true
      }) as Write
    process.stdout.write = capture(out)
    process.stderr.write = capture(err)
    for (const [key, value] of Object.entries(call.env)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    process.chdir(call.cwd)
    process.argv = [process.execPath, call.bin, ...call.args]
    process.exitCode = undefined
    process.exit = ((code?: number) => {
      exitCalled ??= code ?? 0
    }) as typeof process.exit
    if (!(await runFastPath(call.root, call.args))) {
      loaded ??= load(call.root)
      const {config, oclif} = await loaded
      try {
        await oclif.run(call.args, config) // no flush(): the capture writes synchronously, and flush leaves a listener
      } catch (error) {
        await oclif.handle(error as Error)
      }
    }
    const code = exitCalled ?? Number(process.exitCode ?? 0)
    // as execa gives a child's output: without its final newline
    const text = (parts: string[]) => parts.join('').replace(/\r?\n$/, '')
    return {code, stderr: text(err), stdout: text(out)}
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
    ;[process.stdin, process.stdout, process.stderr].forEach((s, i) =>
      STREAM_PROPS.forEach((p, j) => {
        const d = streamProps[i][j]
        if (d) Object.defineProperty(s, p, d)
        else delete (s as unknown as Record<string, unknown>)[p]
      }),
    )
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key]
    Object.assign(process.env, saved.env)
    process.chdir(saved.cwd)
    process.argv = saved.argv
    process.exit = saved.exit
    process.exitCode = saved.exitCode
    busy = false
  }
}

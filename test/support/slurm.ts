import {execa} from 'execa'
import {spawnSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {removeDir, ROOT, tempDir} from './exp.js'
import {oncePerSuite, registerStop, sharedDir} from './global.js'

/**
 * A throwaway single-node SLURM cluster for the tests (test/support/slurm-cluster.sh, see slurm-cluster.md), the
 * SLURM client commands run by hand (a researcher's sbatch/scancel), and wrappers on PATH that count the calls exp
 * makes.
 */
export const CLUSTER_SCRIPT = path.join(ROOT, 'test', 'support', 'slurm-cluster.sh')

export interface Cluster {
  dir: string
  /** SLURM_CONF for every client command and every exp call */
  env: Record<string, string>
  /** the suite's cluster: the global teardown stops it, not the file that used it */
  shared?: boolean
}

/** Why a cluster cannot be started here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  const r = spawnSync('bash', [CLUSTER_SCRIPT, 'available'], {encoding: 'utf8'})
  if (r.status !== 0)
    return `SLURM is not installed (${(r.stderr || '').trim().split('\n')[0]}); apt-get install slurmctld slurmd slurm-client munge`
  if (process.getuid?.() !== 0) return 'a throwaway SLURM cluster needs root (slurmd, SlurmUser=root)'
  return undefined
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Start a cluster on free ports (so two test runs on one machine, or a real slurmctld, never collide), advertising
 * `cpus` CPUs so that several test jobs run at once.
 */
export async function startCluster(cpus = 8, extraConf = ''): Promise<Cluster> {
  // the script makes the mkdtemp directory itself world-executable, as munged needs
  const dir = await tempDir('exp-slurm-cluster-')
  const ports = {SLURM_CLUSTER_CTLD_PORT: String(await freePort()), SLURM_CLUSTER_SLURMD_PORT: String(await freePort())}
  const r = await execa('bash', [CLUSTER_SCRIPT, 'start', dir], {
    env: {SLURM_CLUSTER_CPUS: String(cpus), SLURM_CLUSTER_EXTRA_CONF: extraConf, ...ports},
    reject: false,
    timeout: 90_000,
  })
  if (r.exitCode !== 0) {
    await removeDir(dir)
    throw new Error(`the test SLURM cluster did not start (exit ${r.exitCode}):\n${r.stderr}`)
  }
  const env: Record<string, string> = {}
  for (const line of String(r.stdout).split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1)
  }
  if (!env.SLURM_CONF) throw new Error(`slurm-cluster.sh start printed no SLURM_CONF:\n${r.stdout}`)
  return {dir, env}
}

/**
 * The cluster of the whole mocha run (test/support/global.ts): started by the first test file that asks, in any
 * worker, and stopped by the global teardown, so files running at once share it instead of each starting one. It
 * advertises 32 CPUs so the jobs of those files all have room. A file that needs its own slurm.conf lines (or a run
 * without the global fixtures) gets a cluster of its own, stopped by the file as before.
 */
export async function suiteCluster(extraConf = ''): Promise<Cluster> {
  if (extraConf || !sharedDir()) return startCluster(8, extraConf)
  const cluster = await oncePerSuite('slurm-cluster', async () => {
    const started = await startCluster(32)
    await registerStop('slurm-cluster', fileURLToPath(import.meta.url), 'stopCluster', started)
    return started
  })
  return {...cluster, shared: true}
}

export async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (!cluster || cluster.shared) return
  await execa('bash', [CLUSTER_SCRIPT, 'stop', cluster.dir], {reject: false, timeout: 60_000})
  await removeDir(cluster.dir)
}

/** A SLURM client command run by hand (not by exp): sbatch, squeue, scancel, scontrol. */
export async function slurm(
  cluster: Cluster,
  tool: string,
  args: string[],
  cwd?: string,
): Promise<{code: number; stdout: string; stderr: string}> {
  const r = await execa(tool, args, {cwd, env: cluster.env, reject: false, timeout: 30_000})
  return {code: r.exitCode ?? 1, stderr: String(r.stderr), stdout: String(r.stdout)}
}

/** `squeue -t all` for one job: its state while slurmctld remembers it ('' when it does not). */
export async function jobState(cluster: Cluster, id: string): Promise<string> {
  const r = await slurm(cluster, 'squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T|%r'])
  return r.stdout.trim()
}

export interface Shims {
  /** put this first on PATH */
  bin: string
  /** every call so far, one `tool arg arg …` string each */
  calls(): Promise<string[]>
  reset(): Promise<void>
}

/** Wrappers for the SLURM commands that log each call, then exec the real command (found on PATH now). */
export async function makeShims(
  dir: string,
  tools = ['sacct', 'sbatch', 'scancel', 'scontrol', 'squeue'],
): Promise<Shims> {
  const bin = path.join(dir, 'bin')
  const log = path.join(dir, 'calls.log')
  await fs.mkdir(bin, {recursive: true})
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  for (const tool of tools) {
    const real = spawnSync('bash', ['-c', `command -v ${tool}`], {encoding: 'utf8'}).stdout.trim()
    if (!real) throw new Error(`${tool} not found on PATH`)
    await fs.writeFile(
      path.join(bin, tool),
      `#!/bin/bash\nprintf '%s\\n' "${tool} $*" >> ${quote(log)}\nexec ${quote(real)} "$@"\n`,
      {mode: 0o755},
    )
  }
  return {
    bin,
    async calls() {
      const text = await fs.readFile(log, 'utf8').catch(() => '')
      return text.split('\n').filter(Boolean)
    },
    async reset() {
      await fs.rm(log, {force: true})
    },
  }
}

/** Poll `check` until it returns something other than undefined/false; fail with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** What a test file on the cluster holds: the cluster, a scratch folder, the counting shims and exp's environment. */
export interface ClusterSession {
  cluster: Cluster
  scratch: string
  shims: Shims
  /** SLURM_CONF, and the shims first on PATH */
  env: Record<string, string>
}

/** Start the cluster for a test file (from its `before`), or skip the file with the reason when it cannot run here. */
export async function openClusterSession(ctx: Mocha.Context, prefix: string, extraConf = ''): Promise<ClusterSession> {
  const {requireTool, tempDir} = await import('./exp.js')
  const missing = clusterUnavailable()
  requireTool(ctx, missing === undefined, missing ?? '')
  const cluster = await suiteCluster(extraConf)
  const scratch = await tempDir(prefix)
  const shims = await makeShims(scratch)
  return {cluster, env: {...cluster.env, PATH: `${shims.bin}${path.delimiter}${process.env.PATH}`}, scratch, shims}
}

export async function closeClusterSession(session: ClusterSession | undefined): Promise<void> {
  if (!session) return
  await stopCluster(session.cluster)
  await removeDir(session.scratch)
}

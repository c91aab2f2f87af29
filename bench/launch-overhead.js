#!/usr/bin/env node
// Launch overhead: what `exp launch` costs beyond the engines it runs. Runs `exp launch` with trivial engines
// (`python3 -c pass`, or `true` without Python) N times, then the same engine commands directly N times, and prints
// both, the difference per launch and the ratio (target ≤ 1.6×, issue 21). A measurement to read, not a test.
//
//   npm run bench:launch            # N = 10
//   node bench/launch-overhead.js --n 30
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, mkdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.cjs')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const n = Number(arg('--n', '10'))
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0
const engine = hasPython ? ['python3', '-c', 'pass'] : ['true']

const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-bench-launch-'))
const run = (file, args, options = {}) => {
  const r = spawnSync(file, args, {cwd: ws, encoding: 'utf8', ...options})
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r
}
const exp = (...args) => run(process.execPath, [bin, ...args], {env: {...process.env, EXP_ROOT: ws}})
// NODE_EXTRA_CA_CERTS (set machine-wide on some machines, this one included): Node 20 then builds its whole
// certificate store at every start, TLS used or not (nodejs/node#40524; later Node lines load it lazily). Every exp
// call pays it and the engines run directly do not, so the bench also measures exp, and bare Node, without it.
const caFile = process.env.NODE_EXTRA_CA_CERTS
const withoutCa = {...process.env, EXP_ROOT: ws}
delete withoutCa.NODE_EXTRA_CA_CERTS
const expWithoutCa = (...args) => run(process.execPath, [bin, ...args], {env: withoutCa})
const bareNode = (env) => run(process.execPath, ['-e', '0'], {env})
// CPU of the children this process waited for (exp and the engines it ran, or the engines alone), from
// /proc/self/stat's cutime + cstime (clock ticks, 100 a second on Linux): steadier than wall time on a loaded machine
const childCpuMs = () => {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return Number.NaN // not Linux: no CPU figures
  }
}
const cpu = []
const time = (fn) => {
  const t0 = process.hrtime.bigint()
  const c0 = childCpuMs()
  fn()
  cpu.push(childCpuMs() - c0)
  return Number(process.hrtime.bigint() - t0) / 1e6
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (ms) => `${ms.toFixed(0)} ms`

const loadNow = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
const load0 = loadNow()
try {
  exp('init', '.')
  appendFileSync(
    path.join(ws, 'exp.yaml'),
    `engines:\n  train: ${JSON.stringify(engine)}\n  evaluate: ${JSON.stringify(engine)}\n`,
  )
  mkdirSync(path.join(ws, 'experiments', '2025-01-01-bench'), {recursive: true})
  writeFileSync(path.join(ws, 'experiments', '2025-01-01-bench', 'config.yaml'), 'seed: 0\n')
  const experimentDir = path.join(ws, 'experiments', '2025-01-01-bench')

  exp('launch', 'bench') // warm the file cache once
  const launches = []
  const direct = []
  const startup = []
  const launchCpu = []
  const directCpu = []
  const bare = []
  const launchesNoCa = []
  const bareNoCa = []
  for (let i = 0; i < n; i++) {
    launches.push(time(() => exp('launch', 'bench')))
    launchCpu.push(cpu.at(-1))
    direct.push(
      time(() => {
        run(engine[0], engine.slice(1), {cwd: experimentDir})
        run(engine[0], engine.slice(1), {cwd: experimentDir})
      }),
    )
    directCpu.push(cpu.at(-1))
    startup.push(time(() => exp('--version')))
    bare.push(time(() => bareNode(process.env)))
    if (caFile) {
      launchesNoCa.push(time(() => expWithoutCa('launch', 'bench')))
      bareNoCa.push(time(() => bareNode(withoutCa)))
    }
  }
  const l = median(launches)
  const d = median(direct)
  console.log(`exp launch overhead, ${n} launches (medians), engines: ${engine.join(' ')} (train and evaluate)`)
  console.log(`  exp launch (train + evaluate):     ${fmt(l)}`)
  console.log(`  the same two engines run directly: ${fmt(d)}`)
  console.log(
    `  overhead per launch:               ${fmt(l - d)}  (of which node + oclif start-up, exp --version: ${fmt(median(startup))})`,
  )
  // the target (issue 21): the median of each round's ratio (a launch and the engines run back to back, so that load
  // from other work hits both)
  const ratio = median(launches.map((ms, i) => ms / direct[i]))
  console.log(
    `  ratio launch / direct:             ${(l / d).toFixed(2)}× (medians); ${ratio.toFixed(2)}× median of the rounds' ratios   target ≤ 1.6×: ${ratio <= 1.6 ? 'met' : 'MISSED'}`,
  )
  console.log(`  node -e 0 (Node's own start-up and exit):  ${fmt(median(bare))}`)
  if (caFile) {
    const noCa = median(launchesNoCa.map((ms, i) => ms / direct[i]))
    console.log(
      `  NODE_EXTRA_CA_CERTS is set (${caFile}): node -e 0 takes ${fmt(median(bareNoCa))} without it, so every exp call pays ${fmt(median(bare) - median(bareNoCa))} for it`,
    )
    console.log(
      `  without NODE_EXTRA_CA_CERTS:       exp launch ${fmt(median(launchesNoCa))}, overhead ${fmt(median(launchesNoCa) - d)}; ${noCa.toFixed(2)}× median of the rounds' ratios`,
    )
  }
  const cpuRatio = median(launchCpu) / median(directCpu)
  if (Number.isFinite(cpuRatio))
    console.log(
      `  CPU (exp and the engines / the engines): ${fmt(median(launchCpu))} / ${fmt(median(directCpu))} = ${cpuRatio.toFixed(2)}× (medians)`,
    )
  console.log(
    `  ${os.cpus().length} CPUs, Node ${process.version}, ${os.platform()} ${os.release()}; load average ${load0} at the start, ${loadNow()} at the end`,
  )
} finally {
  rmSync(ws, {force: true, recursive: true})
}

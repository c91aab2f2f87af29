// The benchmarks that have scripts of their own, run from bench/run.js so that every target is a ratio of one run:
// `exp graph show` on 1,000 nodes against bench/limit-graph.js (bench/graph-show.js, target ≤ 1.5×) and `exp launch`
// against running its two engines directly (bench/launch-overhead.js, target ≤ 1.6×). Each script is run as it is and
// its medians read from its output.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))

function runScript(file, argv) {
  const r = spawnSync(process.execPath, [path.join(HERE, file), ...argv], {encoding: 'utf8', maxBuffer: 1 << 26})
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

const ms = (text, pattern) => {
  const m = text.match(pattern)
  if (!m) throw new Error(`unexpected output (no ${pattern}):\n${text}`)
  return Number(m[1])
}

/** `exp graph show` (1,000 nodes) and the minimal script: wall and CPU ratios, medians of `runs` interleaved rounds. */
export function graphShow(runs) {
  const out = runScript('graph-show.js', ['--n', '1000', '--runs', String(runs)])
  return {
    baseline_ms: ms(out, /limit-graph\.js\s+(\d+) ms wall/),
    cpu_ratio: ms(out, /ratio\s+[\d.]+× wall, ([\d.]+)× CPU/),
    n: 1000,
    ratio: ms(out, /ratio\s+([\d.]+)× wall/),
    subject_ms: ms(out, /exp graph show\s+(\d+) ms wall/),
  }
}

/** `exp launch` with `python3 -c pass` engines against the same two engines run directly (wall, medians). */
export function launchOverhead(runs) {
  const out = runScript('launch-overhead.js', ['--n', String(runs)])
  const subject = ms(out, /exp launch \(train \+ evaluate\):\s+(\d+) ms/)
  const baseline = ms(out, /the same two engines run directly:\s+(\d+) ms/)
  return {baseline_ms: baseline, ratio: Math.round((subject / baseline) * 100) / 100, subject_ms: subject}
}

// Preloaded by bench/run.js (node --require) into every node process it measures: at exit, write the process's CPU
// time (user + system, all threads, in ms) to $EXP_BENCH_CPU_FILE. CPU time is far less sensitive than wall time to
// other load on the machine, so the benchmark reports both. CommonJS on purpose: preloading an ES module would start
// node's ESM loader in `node -e 0` and make the start-up baseline slower than it is.
const {writeFileSync} = require('node:fs')

const file = process.env.EXP_BENCH_CPU_FILE
if (file) {
  process.on('exit', () => {
    const {system, user} = process.cpuUsage()
    writeFileSync(file, String((user + system) / 1000))
  })
}

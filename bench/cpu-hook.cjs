// Preloaded by bench/run.js (node --require) into every node process it measures: at exit, write the process's CPU
// time (user + system, all threads, in ms) to $EXP_BENCH_CPU_FILE, and where Linux tells it (/proc/self/schedstat)
// the main thread's alone, as JSON {cpu, main}. CPU time is far less sensitive than wall time to other load on the
// machine, so the benchmark reports both; the main thread's is what the wall time of a command that hands work to
// another thread is made of. CommonJS on purpose: preloading an ES module would start node's ESM loader in
// `node -e 0` and make the start-up baseline slower than it is.
const {readFileSync, writeFileSync} = require('node:fs')

const file = process.env.EXP_BENCH_CPU_FILE
if (file) {
  process.on('exit', () => {
    const {system, user} = process.cpuUsage()
    let main
    try {
      // the first field: time on a CPU, in ns, of this task (the thread that runs JavaScript: the main one)
      main = Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[0]) / 1e6
    } catch {}
    writeFileSync(file, JSON.stringify({cpu: (user + system) / 1000, main}))
  })
}

// mocha's spec reporter plus, at the end of the run, each test file's wall time and how many `exp` calls it made
// (child processes of bin/run.cjs and in-process runs, counted by test/support/exp.ts), slowest first, so CI's log
// says where the suite's time goes. EXP_TEST_TIMING_TOP=N limits the table to the N slowest files (default: all).
// In parallel mode a worker sends a file's events only once the file has finished, so there the workers time each
// file themselves (the root hooks of test/support/global.ts write one JSON row per file into the shared folder).
const Mocha = require('mocha')
const fs = require('node:fs')
const path = require('node:path')

const {EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END} = Mocha.Runner.constants

/** test/support/exp.ts adds to these counters; the reporter reads them around each file's suites */
const counters = () => (globalThis.__expCallCounts ??= {child: 0, inProcess: 0})

class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const files = new Map()
    const started = Date.now()
    const parallel = typeof runner.isParallelMode === 'function' && runner.isParallelMode()
    if (!parallel)
      runner.on(EVENT_SUITE_BEGIN, (suite) => {
        if (!suite.file || !suite.parent || !suite.parent.root) return
        suite.__timing = {at: Date.now(), ...counters()}
      })
    runner.on(EVENT_SUITE_END, (suite) => {
      const t = suite.__timing
      if (!t) return
      const file = path.relative(process.cwd(), suite.file)
      const row = files.get(file) ?? {child: 0, inProcess: 0, ms: 0, tests: 0}
      const now = counters()
      row.ms += Date.now() - t.at
      row.child += now.child - t.child
      row.inProcess += now.inProcess - t.inProcess
      row.tests += suite.total()
      files.set(file, row)
    })
    runner.once(EVENT_RUN_END, () => {
      if (parallel) for (const row of workerRows()) files.set(row.file, row)
      const rows = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms)
      const top = Number(process.env.EXP_TEST_TIMING_TOP) || rows.length
      const total = Date.now() - started
      const sum = rows.reduce((s, [, r]) => s + r.ms, 0) || 1
      const lines = ['', '  Time per test file (wall, slowest first; exp calls: child processes / in-process):']
      for (const [file, r] of rows.slice(0, top)) {
        const share = ((100 * r.ms) / sum).toFixed(1).padStart(5)
        lines.push(
          `  ${(r.ms / 1000).toFixed(1).padStart(7)} s ${share} %  ${String(r.tests).padStart(4)} tests  ${String(r.child).padStart(5)} / ${String(r.inProcess).padEnd(5)} ${file}`,
        )
      }
      const jobs = parallel
        ? `, ${(sum / 1000).toFixed(1)} s of file time over ${(total / 1000).toFixed(1)} s of wall`
        : ''
      lines.push(`  ${(total / 1000).toFixed(1).padStart(7)} s total, ${rows.length} files${jobs}`)
      process.stdout.write(lines.join('\n') + '\n')
    })
  }
}

/** The rows the workers wrote (test/support/global.ts), one per test file. */
function workerRows() {
  const dir = process.env.EXP_TEST_SHARED_DIR && path.join(process.env.EXP_TEST_SHARED_DIR, 'timing')
  if (!dir || !fs.existsSync(dir)) return []
  return fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
}

module.exports = TimingReporter

// mocha's settings. The whole suite runs by default (`npm test`), its files spread over EXP_TEST_JOBS worker processes
// (default 4: most files wait on child processes, a cluster or a server rather than burn CPU); test files named on
// the command line (`npx mocha test/cli/list-show.test.ts`) run alone, serially: a spec here would otherwise be added.
const fs = require('node:fs')
const path = require('node:path')

const named = process.argv.slice(2).some((arg) => /\.test\.[cm]?[jt]s$/.test(arg))
const jobs = Number(process.env.EXP_TEST_JOBS) || 4

// mocha hands files to free workers in this order: the slowest first (measured in CI's log), so that no long file
// starts last and runs alone at the end
const SLOW_FIRST = [
  'cli/remote-graph',
  'cli/vast',
  'cli/slurm',
  'cli/remote-preempt',
  'cli/remote',
  'cli/promote-crash',
  'cli/disk-full',
  'cli/graph-concurrency',
  'cli/sweep-launch-slurm',
  'cli/help-examples',
  'cli/suites',
  'cli/verify-crash',
  'cli/sweep-launch-vast',
  'cli/launch',
  'cli/archive-crash',
  'cli/adopt-crash',
  'cli/sweep-watch',
  'cli/startup-fastpath',
  'cli/hardening-runs',
  'cli/slurm-checkpoint',
].map((f) => `test/${f}.test.ts`)

function allFiles() {
  const found = []
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory() && e.name !== 'support') walk(p)
      else if (e.isFile() && e.name.endsWith('.test.ts')) found.push(p.split(path.sep).join('/'))
    }
  }
  walk('test')
  const rank = (f) => (SLOW_FIRST.includes(f) ? SLOW_FIRST.indexOf(f) : SLOW_FIRST.length)
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

module.exports = {
  'node-option': ['import=tsx'],
  // global fixtures (servers started once per run) and the root hooks that time each file: test/support/global.ts
  require: ['test/support/global.ts'],
  // spec, plus each file's wall time and exp calls at the end (CI's log shows where the time goes)
  reporter: './test/support/timing-reporter.cjs',
  timeout: 60000,
  ...(named ? {} : {jobs, parallel: jobs > 1, spec: allFiles()}),
}

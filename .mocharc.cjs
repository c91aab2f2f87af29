// mocha's settings. The whole suite runs by default (`npm test`); test files named on the command line
// (`npx mocha test/cli/list-show.test.ts`) run alone: a spec here would otherwise be added to them.
const named = process.argv.slice(2).some((arg) => /\.test\.[cm]?[jt]s$/.test(arg))

module.exports = {
  'node-option': ['import=tsx'],
  // spec, plus each file's wall time and exp calls at the end (CI's log shows where the time goes)
  reporter: './test/support/timing-reporter.cjs',
  timeout: 60000,
  ...(named ? {} : {spec: ['test/**/*.test.ts']}),
}

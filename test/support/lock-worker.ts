// A separate process taking the workspace lock repeatedly, for test/unit/lock.test.ts:
//   node --import tsx test/support/lock-worker.ts LOCKFILE LOGFILE ITERATIONS
// Each hold appends "enter PID" and "exit PID" to LOGFILE; the test checks that holds never overlap.
import {appendFileSync} from 'node:fs'

import {withLock} from '../../src/lib/lock.js'

const [lockFile, logFile, iterations] = process.argv.slice(2)
for (let i = 0; i < Number(iterations); i++) {
  await withLock(
    lockFile,
    async () => {
      appendFileSync(logFile, `enter ${process.pid}\n`)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
      appendFileSync(logFile, `exit ${process.pid}\n`)
    },
    {waitMs: 30_000},
  )
}

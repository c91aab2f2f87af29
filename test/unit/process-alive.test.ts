import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {promises as fs} from 'node:fs'

import {isProcessAlive} from '../../src/lib/process-alive.js'

describe('isProcessAlive', () => {
  it('is true for this process and false for nonsense pids', () => {
    assert.equal(isProcessAlive(process.pid), true)
    assert.equal(isProcessAlive(0), false)
    assert.equal(isProcessAlive(undefined), false)
    assert.equal(isProcessAlive(2 ** 22 + 12_345), false)
  })

  it('is false for an exited process that is not reaped yet (a zombie)', async function () {
    if (process.platform !== 'linux') this.skip()
    // the background sleep's parent becomes `sleep 5` (exec), which never waits for it: it stays a zombie
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d).trim()))),
      )
      // until the kernel shows it as a zombie (state Z in /proc/PID/stat), not a fixed wait
      const zombie = async () => /^\d+ \(.*\) Z /.test(await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''))
      const deadline = Date.now() + 10_000
      while (!(await zombie()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.doesNotThrow(() => process.kill(pid, 0), 'the zombie still answers signal 0')
      assert.equal(isProcessAlive(pid), false)
    } finally {
      parent.kill('SIGKILL')
    }
  })
})

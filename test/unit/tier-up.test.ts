import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {tierUpLater} from '../../src/lib/tier-up.js'

const TIER_UP = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/lib/tier-up.ts'),
).href

/**
 * How many calls a small function takes before TurboFan has optimized it, in a fresh node with the budget raised
 * or not. Compiling on the main thread (--no-concurrent-recompilation) makes the count exact; the optimization
 * status (bit 16: optimized) needs --allow-natives-syntax.
 */
function callsToOptimize(raise: boolean): number {
  const script = `
    const {tierUpLater} = await import(${JSON.stringify(TIER_UP)})
    if (${raise}) tierUpLater([], undefined)
    const f = new Function('a', 'let s = 0; for (let i = 0; i < 10; i++) s += a * i; return s')
    const optimized = new Function('f', 'return (%GetOptimizationStatus(f) & 16) !== 0')
    let calls = 0
    for (; calls < 1e6 && !optimized(f); calls++) f(calls)
    console.log(calls)
  `
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script],
    {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: ''}},
  )
  assert.equal(r.status, 0, r.stderr)
  return Number(r.stdout.trim())
}

describe("tier-up: exp report --all's longer wait before V8 optimizes", () => {
  it('raises the budget: a function is optimized after several times as many calls', function () {
    this.timeout(30_000)
    const usual = callsToOptimize(false)
    const raised = callsToOptimize(true)
    assert.ok(usual > 0 && usual < 1e6, `optimized after ${usual} calls without the change`)
    assert.ok(raised > 4 * usual && raised < 1e6, `optimized after ${raised} calls with it, ${usual} without`)
  })

  it("leaves a budget the user set (node's arguments or NODE_OPTIONS) alone", () => {
    assert.equal(tierUpLater(['--interrupt-budget=1000'], undefined), false)
    assert.equal(tierUpLater([], '--max-old-space-size=4096 --interrupt_budget=1000'), false)
    assert.equal(tierUpLater(['--interrupt-budget', '1000'], undefined), false)
    // another flag that starts with the same name is not the budget (this one raises it, in this test process)
    assert.equal(tierUpLater(['--interrupt-budget-for-feedback-allocation=940'], undefined), true)
  })
})

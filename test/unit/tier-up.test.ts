import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {raiseTierUpBudget} from '../../src/lib/tier-up.js'

const TIER_UP = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/lib/tier-up.ts'),
).href

interface Probe {
  /** calls a small function took to be optimized by TurboFan */
  calls: number
  /** V8's code cache version tag before, while raised, after restore */
  tags: [number, number, number]
  restored: boolean
}

/**
 * In a fresh node, with the budget raised or not: how many calls a small function takes before TurboFan has
 * optimized it (compiling on the main thread, --no-concurrent-recompilation, makes the count exact; the
 * optimization status, bit 16: optimized, needs --allow-natives-syntax), and V8's code cache version tag before,
 * while raised and after restore.
 */
function probe(raise: boolean): Probe {
  const script = `
    const v8 = await import('node:v8')
    const {raiseTierUpBudget} = await import(${JSON.stringify(TIER_UP)})
    const before = v8.cachedDataVersionTag()
    const raised = ${raise} ? await raiseTierUpBudget([], undefined) : undefined
    const during = v8.cachedDataVersionTag()
    const f = new Function('a', 'let s = 0; for (let i = 0; i < 10; i++) s += a * i; return s')
    const optimized = new Function('f', 'return (%GetOptimizationStatus(f) & 16) !== 0')
    let calls = 0
    for (; calls < 1e6 && !optimized(f); calls++) f(calls)
    const restored = raised ? raised.restore() : true
    console.log(JSON.stringify({calls, restored, tags: [before, during, v8.cachedDataVersionTag()]}))
  `
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script],
    {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: ''}},
  )
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as Probe
}

describe("tier-up: exp report --all's longer wait before V8 optimizes", () => {
  it('raises the budget (a function is optimized after several times as many calls), and puts back V8 as it was', function () {
    this.timeout(30_000)
    const usual = probe(false)
    const raised = probe(true)
    assert.ok(usual.calls > 0 && usual.calls < 1e6, `optimized after ${usual.calls} calls without the change`)
    assert.ok(
      raised.calls > 4 * usual.calls && raised.calls < 1e6,
      `optimized after ${raised.calls} calls with it, ${usual.calls} without`,
    )
    // V8's flags are in the code cache's version tag: changed while raised, the same as before once restored
    const [before, during, after] = raised.tags
    assert.notEqual(during, before, 'the raised budget changes V8 flags')
    assert.equal(raised.restored, true)
    assert.equal(after, before, 'restored: the code cache written at exit is the one the next call accepts')
  })

  it("leaves a budget the user set (node's arguments or NODE_OPTIONS) alone", async () => {
    assert.equal(await raiseTierUpBudget(['--interrupt-budget=1000'], undefined), undefined)
    assert.equal(await raiseTierUpBudget([], '--max-old-space-size=4096 --interrupt_budget=1000'), undefined)
    assert.equal(await raiseTierUpBudget(['--interrupt-budget', '1000'], undefined), undefined)
    // another flag that starts with the same name is not the budget (raised in this test process, and put back)
    const raised = await raiseTierUpBudget(['--interrupt-budget-for-feedback-allocation=940'], undefined)
    assert.ok(raised)
    assert.equal(raised.restore(), true)
  })
})

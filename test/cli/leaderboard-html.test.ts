import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Browser} from 'playwright-core'

import {CHROMIUM, launchChromium} from '../support/browser.js'
import {exp, inProcess, makeExperiment, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/** The HTML leaderboard opened in a real headless Chromium (Debian's package): the rows and the SVG bars render. */
describe('exp leaderboard --html in a headless browser', () => {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let browser: Browser | undefined
  let ws: string
  // best first for direction min; one name needs escaping (it must show as text, not become markup)
  const experiments: Array<[string, number]> = [
    ['2025-01-01-alpha', 0.02],
    ['2025-01-02-a&b<i>"x\'', 0.05],
    ['2025-01-03-gamma', 0.08],
    ['2025-01-04-delta', 0.1],
  ]

  before(async function () {
    requireTool(this, existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM} (Debian package chromium)`)
    this.timeout(120_000)
    ws = await tempWorkspace()
    for (const [i, [name, value]] of experiments.entries()) {
      await makeExperiment(ws, name, {
        'config.yaml': `seed: ${i}\n`,
        'reports/eval.json': {final_nrmse: value, gates_passed: true},
      })
      const r = await exp(['promote', name, '--auto-promote'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await removeDir(ws)
  })

  async function open(file: string) {
    const page = await browser!.newPage()
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(pathToFileURL(file).href)
    return {page, requests}
  }

  it('renders every row of the table and one bar per experiment, widths ordered by the metric', async () => {
    const r = await exp(['leaderboard', '--html', 'reports/leaderboard.html'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Wrote reports\/leaderboard\.html/)
    const {page, requests} = await open(path.join(ws, 'reports/leaderboard.html'))
    try {
      assert.equal(await page.title(), 'exp leaderboard')
      const headers = await page.locator('thead th').allTextContents()
      assert.deepEqual(headers.slice(0, 6), [
        'rank',
        'experiment',
        'config',
        'final_nrmse',
        'gates_passed',
        'promoted_at',
      ])
      const rows = await page
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))
      assert.deepEqual(
        rows.map((cells) => cells.slice(0, 4)),
        experiments.map(([name, value], i) => [
          String(i + 1),
          name,
          `configs/train_${name.slice(11)}.yaml`,
          String(value),
        ]),
      )
      assert.equal(await page.locator('tbody i').count(), 0, 'a name is text, never markup')

      const bars = await page.locator('svg rect.bar').evaluateAll((rects) =>
        rects.map((rect) => ({
          value: Number(rect.getAttribute('data-value')),
          width: rect.getBoundingClientRect().width,
        })),
      )
      assert.equal(bars.length, experiments.length)
      assert.deepEqual(
        bars.map((b) => b.value),
        experiments.map(([, v]) => v),
      )
      for (let i = 1; i < bars.length; i++)
        assert.ok(bars[i].width > bars[i - 1].width, `bar ${i} is wider than bar ${i - 1} (higher NRMSE)`)
      const widest = bars.at(-1)!
      for (const b of bars)
        assert.ok(
          Math.abs(b.width / widest.width - b.value / widest.value) < 0.01,
          'widths are proportional to the metric',
        )
      const labels = await page.locator('svg text.label').allTextContents()
      assert.deepEqual(
        labels,
        experiments.map(([name], i) => `${i + 1}. ${name}`),
      )
      assert.ok(
        requests.every((u) => u.startsWith('file:')),
        `no network: ${requests.join(' ')}`,
      )
    } finally {
      await page.close()
    }
  })

  it('--top N shows the best N rows and bars, and says how many there are', async () => {
    const file = path.join(ws, 'top.html')
    assert.equal((await exp(['leaderboard', '--top', '2', '--html', file], {cwd: ws})).code, 0)
    const {page} = await open(file)
    try {
      assert.equal(await page.locator('tbody tr').count(), 2)
      assert.equal(await page.locator('svg rect.bar').count(), 2)
      assert.match(
        (await page.locator('p.meta').textContent()) ?? '',
        /4 experiment\(s\), ranked by final_nrmse \(top 2 shown\)/,
      )
    } finally {
      await page.close()
    }
  })
})

import assert from 'node:assert/strict'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {Browser} from 'playwright-core'

import {CHROMIUM, launchChromium} from '../support/browser.js'
import {exp, inProcess, makeExperiment, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

/**
 * The leaderboard page (issue 20): says which way is better, draws the recorded threshold as a line, fits a phone's
 * width (the table scrolls in its own container, never the page), links the configs and shows dates readably.
 */
describe('leaderboard page', function () {
  this.timeout(90_000)
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  let browser: Browser | undefined
  let ws: string
  const experiments: Array<[string, number]> = [
    ['2026-04-01-alpha-with-a-rather-long-descriptive-experiment-name', 0.02],
    ['2026-04-02-beta', 0.05],
    ['2026-04-03-gamma', 0.08],
  ]

  before(async function () {
    requireTool(this, existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM} (Debian package chromium)`)
    ws = await tempWorkspace()
    await fs.appendFile(path.join(ws, 'exp.yaml'), 'gates:\n  final_nrmse: {max: 0.1}\n')
    for (const [i, [name, value]] of experiments.entries()) {
      const params = {
        model: {latent_dim: 8 * (i + 1), layers: [64, 64, 32], activation: 'gelu'},
        training: {epochs: 200, learning_rate: 0.0003},
      }
      await makeExperiment(ws, name, {
        'config.yaml': `seed: ${i}\n`,
        'reports/eval.json': {
          final_nrmse: value,
          gates_passed: true,
          max_nrmse: value * 2,
          train_loss: value / 10,
          ...params,
        },
      })
      const r = await exp(['promote', name, '--auto-promote'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    const r = await exp(['leaderboard', '--html', 'reports/leaderboard.html'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await removeDir(ws)
  })

  async function open(width: number) {
    const page = await browser!.newPage({viewport: {height: 800, width}})
    await page.goto(pathToFileURL(path.join(ws, 'reports/leaderboard.html')).href)
    return page
  }

  it('at 390 px the page is no wider than the viewport: the table scrolls in its own container', async () => {
    const page = await open(390)
    try {
      const {doc, table, scroller} = await page.evaluate(() => {
        const d = (globalThis as any).document
        return {
          doc: d.documentElement.scrollWidth,
          scroller: d.querySelector('table').parentElement.clientWidth,
          table: d.querySelector('table').scrollWidth,
        }
      })
      assert.ok(doc <= 390, `document is ${doc}px wide in a 390px viewport`)
      assert.ok(table > scroller, `the table (${table}px) is wider than its container (${scroller}px), which scrolls`)
      const chart = await page.locator('svg.chart').evaluate((svg) => svg.getBoundingClientRect().width)
      assert.ok(chart <= 390, `chart ${chart}px`)
    } finally {
      await page.close()
    }
  })

  it('says which direction is better, draws the threshold as a line, links configs and shows dates readably', async () => {
    const page = await open(1200)
    try {
      assert.match(
        (await page.locator('p.meta').textContent()) ?? '',
        /ranked by final_nrmse; lower is better; threshold 0\.1; generated \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
      )
      const line = await page
        .locator('svg line.threshold')
        .evaluate((l) => ({value: Number(l.getAttribute('data-value')), x: l.getBoundingClientRect().x}))
      assert.equal(line.value, 0.1)
      const bars = await page
        .locator('svg rect.bar')
        .evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().right))
      for (const right of bars) assert.ok(right < line.x, 'every bar (below the threshold) ends before the line')
      const links = await page
        .locator('tbody td a')
        .evaluateAll((as) => as.map((a) => [a.textContent, (a as any).href]))
      assert.equal(links.length, experiments.length)
      for (const [text, href] of links) {
        assert.match(text!, /^configs\/train_\S+\.yaml$/)
        assert.ok(existsSync(fileURLToPath(href!)), `${href} exists`)
        assert.equal(fileURLToPath(href!), path.join(ws, text!))
      }
      const dates = await page.locator('tbody time').allTextContents()
      assert.equal(dates.length, experiments.length)
      for (const d of dates) assert.match(d, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/)
    } finally {
      await page.close()
    }
  })
})

import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {Browser, Page} from 'playwright-core'

import {CHROMIUM, launchChromium} from '../support/browser.js'
import {exp, expJson, inProcess, makeExperiment, removeDir, requireTool, tempWorkspace} from '../support/exp.js'

const HOSTILE = '2025-01-05-<script>"><img src=x onerror=alert(1)>'
const SWEEP = '2025-02-01-sweep'
/** a 2 × 2 grid: two passed (the second best), one failed, one without a report (no metric) */
const VARIANTS = [
  {
    name: 'lr1e-3_dim4',
    params: {'model.latent_dim': 4, 'training.learning_rate': 0.001},
    report: {final_nrmse: 0.2, gates_passed: true},
  },
  {
    name: 'lr1e-3_dim8',
    params: {'model.latent_dim': 8, 'training.learning_rate': 0.001},
    report: {final_nrmse: 0.05, gates_passed: true},
  },
  {
    name: 'lr1e-1_dim4',
    params: {'model.latent_dim': 4, 'training.learning_rate': 0.1},
    report: {final_nrmse: 0.9, gates_passed: false},
  },
  {name: 'lr1e-1_dim8', params: {'model.latent_dim': 8, 'training.learning_rate': 0.1}},
]
const NOTES =
  '# Notes\n\n<script>alert(2)</script>\n\n"><img src=x onerror=alert(3)>\n\n[click](javascript:alert(4)) and **bold**\n'

/** exp report pages opened in the real headless Chromium: content, curves, escaping, links, narrow screens. */
describe('exp report: experiment pages and the index in a headless browser', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let browser: Browser | undefined
  let ws: string
  let curveDir: string

  before(async function () {
    requireTool(this, existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM} (Debian package chromium)`)
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    ws = await tempWorkspace()
    assert.equal(
      (
        await exp(
          [
            'new',
            'curve',
            '--date',
            '2025-03-01',
            '--set',
            'training.epochs=15',
            '--hypothesis',
            'a <b>bold</b> guess',
          ],
          {cwd: ws},
        )
      ).code,
      0,
    )
    curveDir = path.join(ws, 'experiments', '2025-03-01-curve')
    assert.equal((await exp(['launch', 'curve'], {cwd: ws})).code, 0)
    assert.equal((await exp(['launch', 'curve', '--stage', 'train'], {cwd: ws})).code, 0)
    await makeExperiment(ws, HOSTILE, {
      'metadata.json': {hypothesis: '</p><script>alert(5)</script>'},
      'notes.md': NOTES,
      'reports/eval.json': {final_nrmse: 0.3, gates_passed: false},
    })
    await makeExperiment(ws, '2025-01-06-done', {'reports/eval.json': {final_nrmse: 0.05, gates_passed: true}})
    const sweepRecord = {
      controls: [],
      naming: {abbreviations: {}, varying: ['training.learning_rate', 'model.latent_dim']},
      schema: 1,
      source: {axes: [], kind: 'grid'},
      variants: VARIANTS.map((v) => ({name: v.name, params: v.params, setup: 'ok'})),
    }
    await makeExperiment(ws, SWEEP, {
      'sweep.yaml': sweepRecord,
      ...Object.fromEntries(
        VARIANTS.flatMap((v) => [
          [`${v.name}/config.yaml`, 'model:\n  latent_dim: 8\n'],
          ...(v.report ? [[`${v.name}/reports/eval.json`, v.report]] : []),
        ]),
      ),
    })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await removeDir(ws)
  })

  async function open(file: string, width = 1280): Promise<{page: Page; requests: string[]; dialogs: string[]}> {
    const page = await browser!.newPage({viewport: {height: 900, width}})
    const requests: string[] = []
    const dialogs: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message())
      await dialog.dismiss()
    })
    await page.goto(pathToFileURL(file).href)
    return {dialogs, page, requests}
  }

  const notWiderThanViewport = (page: Page) =>
    page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')
  const hrefsOf = async (page: Page, selector: string) =>
    (await page.locator(selector).evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))).map(
      (h) => new URL(h, page.url()).href,
    )

  it('draws one training curve per run, a point per metrics.jsonl line, first and last values as logged', async () => {
    const r = await expJson(['report', 'curve'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.file, 'reports/2025-03-01-curve.html')
    const {page, requests} = await open(path.join(ws, r.json.file))
    try {
      // oldest first, by creation (two runs in the same second have ids that sort by their random suffix)
      const created = async (id: string) =>
        JSON.parse(await fs.readFile(path.join(curveDir, 'runs', id, 'run.json'), 'utf8')).created_at as string
      const ids = await fs.readdir(path.join(curveDir, 'runs'))
      const when = new Map(await Promise.all(ids.map(async (id) => [id, await created(id)] as const)))
      const runIds = ids.sort((a, b) => when.get(a)!.localeCompare(when.get(b)!) || a.localeCompare(b))
      const chart = page.locator('svg[data-scale]')
      const map = await chart.evaluate((svg) => ({
        bottom: Number(svg.dataset.bottom),
        log: svg.dataset.scale === 'log',
        top: Number(svg.dataset.top),
        yMax: Number(svg.dataset.yMax),
        yMin: Number(svg.dataset.yMin),
      }))
      const toValue = (y: number) => {
        const t = map.yMin + ((map.bottom - y) / (map.bottom - map.top)) * (map.yMax - map.yMin)
        return map.log ? 10 ** t : t
      }
      const lines = await page.locator('polyline.curve').evaluateAll((ps) =>
        ps.map((p) => ({
          points: (p.getAttribute('points') ?? '')
            .trim()
            .split(/\s+/)
            .map((xy: string) => xy.split(',').map(Number)),
          series: p.getAttribute('data-series'),
        })),
      )
      assert.deepEqual(
        lines.map((l) => l.series),
        runIds,
      )
      for (const line of lines) {
        const rows = (await fs.readFile(path.join(curveDir, 'runs', line.series!, 'metrics.jsonl'), 'utf8'))
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l))
        const losses = rows.filter((row) => 'loss' in row).map((row) => row.loss as number)
        assert.equal(line.points.length, losses.length)
        for (const [point, value] of [
          [line.points[0], losses[0]],
          [line.points.at(-1)!, losses.at(-1)!],
        ] as const) {
          assert.ok(
            Math.abs(toValue(point[1]) / value - 1) < 0.02,
            `y ${point[1]} plots ${toValue(point[1])}, the data says ${value}`,
          )
        }
      }
      // the train-only run: every line of its metrics.jsonl is a point
      const trainOnly = (await fs.readFile(path.join(curveDir, 'runs', runIds[1], 'metrics.jsonl'), 'utf8'))
        .trimEnd()
        .split('\n')
      assert.equal(lines[1].points.length, trainOnly.length)
      assert.equal(trainOnly.length, 15)

      assert.equal(await page.locator('#hypothesis').textContent(), 'a <b>bold</b> guess')
      assert.deepEqual(await page.locator('table.evaluations tbody tr td:first-child').allTextContents(), ['evaluate'])
      assert.equal(await page.locator('h3').first().textContent(), `checkpoints/${runIds[0]}`)
      // every link to a log resolves to a file
      const hrefs = (await hrefsOf(page, 'a')).filter((h) => h.endsWith('.log'))
      assert.ok(hrefs.length >= 4)
      for (const h of hrefs) assert.ok(existsSync(fileURLToPath(h)), h)
      assert.ok(
        requests.length > 0 && requests.every((u) => u.startsWith('file:')),
        `no network: ${requests.join(' ')}`,
      )
      assert.equal(await page.locator('script').count(), 0)
    } finally {
      await page.close()
    }
  })

  it('a hostile name, hypothesis and notes are text: nothing runs, no element is injected', async () => {
    const r = await expJson(['report', HOSTILE], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const {dialogs, page, requests} = await open(path.join(ws, 'reports', `${HOSTILE}.html`))
    try {
      assert.equal(await page.locator('#name').textContent(), HOSTILE)
      assert.equal(await page.title(), `${HOSTILE} — exp report`)
      assert.equal(await page.locator('#hypothesis').textContent(), '</p><script>alert(5)</script>')
      const notes = (await page.locator('#notes').textContent()) ?? ''
      for (const text of ['<script>alert(2)</script>', '"><img src=x onerror=alert(3)>'])
        assert.ok(notes.includes(text), `notes show ${text}`)
      assert.equal(await page.locator('#notes strong').textContent(), 'bold', 'markdown is rendered')
      assert.equal(await page.locator('script, img, iframe, [onerror]').count(), 0)
      assert.equal(await page.locator('a[href^="javascript"]').count(), 0)
      assert.deepEqual(dialogs, [])
      assert.ok(
        requests.every((u) => u.startsWith('file:')),
        requests.join(' '),
      )
    } finally {
      await page.close()
    }
  })

  it('a sweep page: the variants table and, per swept parameter, one point per variant; best highlighted, failed marked', async () => {
    const r = await expJson(['report', 'sweep'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    const {page, requests} = await open(path.join(ws, r.json.file))
    try {
      assert.deepEqual(
        await page.locator('table.variants tbody tr td:first-child').allTextContents(),
        VARIANTS.map((v) => v.name),
      )
      for (const param of ['training.learning_rate', 'model.latent_dim']) {
        const points = await page.locator(`svg.sweep[data-param="${param}"] .point`).evaluateAll((ps) =>
          ps.map((p) => {
            const box = (p as unknown as {getBBox(): {x: number; y: number; width: number; height: number}}).getBBox()
            return {
              classes: p.getAttribute('class') ?? '',
              cx: box.x + box.width / 2,
              cy: box.y + box.height / 2,
              variant: p.getAttribute('data-variant') ?? '',
              x: Number(p.getAttribute('data-x')),
            }
          }),
        )
        assert.deepEqual(
          points.map((p) => p.variant).sort(),
          VARIANTS.map((v) => v.name).sort(),
          `${param}: one point per variant`,
        )
        const by = (name: string) => points.find((p) => p.variant === name)!
        assert.deepEqual(
          points.filter((p) => p.classes.includes('best')).map((p) => p.variant),
          ['lr1e-3_dim8'],
        )
        assert.deepEqual(
          points.filter((p) => p.classes.includes('failed')).map((p) => p.variant),
          ['lr1e-1_dim4'],
        )
        assert.deepEqual(
          points.filter((p) => p.classes.includes('no-metric')).map((p) => p.variant),
          ['lr1e-1_dim8'],
        )
        // the x position follows the parameter, the y position the metric (lower NRMSE is lower on the chart)
        for (const v of VARIANTS) assert.equal(by(v.name).x, v.params[param as keyof typeof v.params])
        const [small, large] =
          param === 'model.latent_dim' ? ['lr1e-3_dim4', 'lr1e-3_dim8'] : ['lr1e-3_dim4', 'lr1e-1_dim4']
        assert.ok(by(small).cx < by(large).cx, `${param}: ${small} left of ${large}`)
        assert.ok(
          by('lr1e-3_dim8').cy > by('lr1e-3_dim4').cy && by('lr1e-3_dim4').cy > by('lr1e-1_dim4').cy,
          `${param}: y follows final_nrmse`,
        )
      }
      assert.equal(await page.locator('script').count(), 0)
      assert.ok(
        requests.every((u) => u.startsWith('file:')),
        requests.join(' '),
      )
    } finally {
      await page.close()
    }
  })

  it('--all writes every page and an index whose links resolve; archive moves a row to the Archived tab', async () => {
    const r = await expJson(['report', '--all'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual([r.json.index, r.json.pages, r.json.experiments, r.json.archived], ['reports/index.html', 4, 4, 0])
    const index = path.join(ws, 'reports', 'index.html')
    let view = await open(index)
    try {
      const links = await hrefsOf(view.page, 'a.experiment')
      assert.equal(links.length, 4)
      for (const h of links) assert.ok(existsSync(fileURLToPath(h)), `${h} exists`)
      assert.ok((await view.page.locator('a.experiment').allTextContents()).includes(HOSTILE))
      assert.equal(
        await view.page.locator('#active svg.spark polyline').count(),
        1,
        'the experiment with a curve has a sparkline',
      )
      assert.equal(await view.page.locator('script, img').count(), 0)
      assert.ok(view.requests.every((u) => u.startsWith('file:')))
      // an experiment page links back to the index
      await view.page.locator('a.experiment', {hasText: 'curve'}).click()
      await view.page.locator('nav a').click()
      assert.equal(view.page.url(), pathToFileURL(index).href)
    } finally {
      await view.page.close()
    }
    assert.equal((await exp(['archive', 'done', '--yes'], {cwd: ws})).code, 0)
    view = await open(index)
    try {
      assert.deepEqual(await view.page.locator('#archived a.experiment').allTextContents(), ['2025-01-06-done'])
      assert.equal(await view.page.locator('#active a.experiment').count(), 3)
    } finally {
      await view.page.close()
    }
  })

  it('at 390 px no page is wider than the viewport; dark mode follows the system', async () => {
    for (const file of ['index.html', '2025-03-01-curve.html', `${HOSTILE}.html`, `${SWEEP}.html`]) {
      const {page} = await open(path.join(ws, 'reports', file), 390)
      try {
        assert.ok(await notWiderThanViewport(page), `${file} fits 390 px`)
        const background = 'getComputedStyle(document.body).backgroundColor'
        await page.emulateMedia({colorScheme: 'light'})
        const light = await page.evaluate<string>(background)
        await page.emulateMedia({colorScheme: 'dark'})
        assert.notEqual(await page.evaluate<string>(background), light)
      } finally {
        await page.close()
      }
    }
  })

  it("--out replaces only a page exp wrote, never another file or the workspace's own; --open hands it to xdg-open", async () => {
    const other = path.join(ws, 'mine.html')
    await fs.writeFile(other, '<p>my own page</p>')
    const refused = await exp(['report', 'curve', '--out', other], {cwd: ws})
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /refusing to overwrite .*mine\.html: it is not a page exp wrote/)
    assert.equal(await fs.readFile(other, 'utf8'), '<p>my own page</p>')
    for (const target of ['exp.yaml', 'configs/x.html', 'experiments/page.html', 'reports']) {
      const r = await exp(['report', 'curve', '--out', target], {cwd: ws})
      assert.equal(r.code, 1, target)
      assert.match(r.stderr, /refusing to write a page to/, target)
    }
    const bin = path.join(ws, 'bin')
    await fs.mkdir(bin)
    await fs.writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${ws}/opened'\n`, {mode: 0o755})
    const page = path.join(ws, 'share', 'curve.html')
    const first = await exp(['report', 'curve', '--out', page, '--open'], {
      cwd: ws,
      env: {PATH: `${bin}:${process.env.PATH}`},
    })
    assert.equal(first.code, 0, first.stderr)
    const again = await exp(['report', 'curve', '--out', page], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    const deadline = Date.now() + 5000
    while (!existsSync(path.join(ws, 'opened')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25))
    assert.equal(await fs.readFile(path.join(ws, 'opened'), 'utf8'), page)
  })
})

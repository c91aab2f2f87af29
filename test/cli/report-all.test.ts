import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {expJson, inProcess, makeExperiment, removeDir, tempWorkspace} from '../support/exp.js'

const N = 40
const name = (i: number) => `2025-04-${String((i % 28) + 1).padStart(2, '0')}-many-${String(i).padStart(3, '0')}`
/** a page without its footer (the time it was generated) */
const content = async (file: string) => (await fs.readFile(file, 'utf8')).replace(/<footer>.*<\/footer>/, '')

/**
 * `exp report --all` over enough experiments that the pages go through the writer thread (32 or more missing), and
 * again with a few missing (written one by one): every page whole, the same content both ways, no temporary left.
 */
describe('exp report --all: many pages through the writer thread', function () {
  inProcess()
  this.timeout(60_000)
  let ws: string
  let reports: string

  before(async () => {
    ws = await tempWorkspace()
    reports = path.join(ws, 'reports')
    for (let i = 0; i < N; i++) {
      const metrics =
        Array.from({length: 20}, (_, s) => JSON.stringify({loss: 1 / (s + 1 + i), step: s + 1})).join('\n') + '\n'
      await makeExperiment(ws, name(i), {
        'notes.md': `# ${name(i)}\n\nRun ${i}: \`lr\` sweep.\n`,
        'reports/eval.json': {final_nrmse: i / 100, gates_passed: i % 3 !== 0},
        'runs/20250401-000000-0001/metrics.jsonl': metrics,
        'runs/20250401-000000-0001/run.json': {
          backend: 'local',
          created_at: '2025-04-01T00:00:00.000Z',
          experiment: name(i),
          run_id: '20250401-000000-0001',
          schema: 1,
          stages: [
            {
              command: ['python3', 'train.py'],
              cwd: '.',
              ended_at: '2025-04-01T01:00:00.000Z',
              exit_code: 0,
              log: 'runs/20250401-000000-0001/train.log',
              name: 'train',
              started_at: '2025-04-01T00:00:00.000Z',
              state: 'completed',
            },
          ],
          state: 'completed',
          updated_at: '2025-04-01T01:00:00.000Z',
        },
      })
    }
  })
  after(() => removeDir(ws))

  const pages = async () => (await fs.readdir(reports)).filter((f) => f.endsWith('.html') && f !== 'index.html').sort()
  const leftovers = async () => (await fs.readdir(reports)).filter((f) => f.startsWith('.'))

  it('writes every page, then keeps them; pages removed are written again with the same content', async () => {
    const first = await expJson(['report', '--all'], {cwd: ws})
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual([first.json.pages, first.json.pages_changed, first.json.experiments], [N, N, N])
    assert.deepEqual(await pages(), Array.from({length: N}, (_, i) => `${name(i)}.html`).sort())
    assert.deepEqual(await leftovers(), [], 'no temporary file or folder is left')
    const before = new Map(
      await Promise.all((await pages()).map(async (p) => [p, await content(path.join(reports, p))] as const)),
    )
    for (const text of before.values()) assert.match(text, /<\/html>\n$/, 'each page is whole')
    assert.equal([...before.values()].filter((t) => t.includes('class="curve"')).length, N, 'each page draws its curve')
    const footers = new Set(
      await Promise.all(
        [...(await pages()), 'index.html'].map(
          async (p) => /<footer>(.*)<\/footer>/.exec(await fs.readFile(path.join(reports, p), 'utf8'))?.[1],
        ),
      ),
    )
    assert.equal(footers.size, 1, `one run, one instant: every page and the index say the same time (${[...footers]})`)

    const again = await expJson(['report', '--all'], {cwd: ws})
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.json.pages_changed, 0)

    // 35 missing: through the thread again; 3 missing: written one by one
    for (const removed of [35, 3]) {
      const gone = (await pages()).slice(0, removed)
      for (const p of gone) await fs.rm(path.join(reports, p))
      const r = await expJson(['report', '--all'], {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual([r.json.pages, r.json.pages_changed], [N, removed])
      for (const p of gone) assert.equal(await content(path.join(reports, p)), before.get(p), `${p} as before`)
      assert.deepEqual(await leftovers(), [])
    }
  })
})

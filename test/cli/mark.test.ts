import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, expJson, inProcess, makeExperiment, removeDir, tempWorkspace, treeSnapshot} from '../support/exp.js'

const read = (file: string) => fs.readFile(file, 'utf8')

async function listed(ws: string, name: string): Promise<any> {
  const r = await expJson(['list'], {cwd: ws})
  assert.equal(r.code, 0, r.stderr)
  return r.json.experiments.find((e: any) => e.name === name)
}

describe('exp mark', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(60_000)
  let ws: string
  let dir: string
  const notes = '# 2025-04-01-strict\n\n## Results\n\nNRMSE 0.11 against a 0.1 gate.\n'
  before(async () => {
    ws = await tempWorkspace()
    dir = await makeExperiment(ws, '2025-04-01-strict', {
      'metadata.json': {hypothesis: 'h', schema: 1},
      'notes.md': notes,
      'reports/eval.json': {final_nrmse: 0.11, gates_passed: false},
    })
  })
  after(() => removeDir(ws))

  it('--success --reason: exp list shows the verdict with the reason, above the failed report', async () => {
    assert.equal((await listed(ws, '2025-04-01-strict')).status, 'failed')
    const r = await expJson(['mark', 'strict', '--success', '--reason', 'the 0.1 gate is too strict here'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.action, 'marked')
    const e = await listed(ws, '2025-04-01-strict')
    assert.equal(e.status, 'success')
    assert.equal(e.rule, 'metadata')
    assert.equal(e.reason, 'metadata.json status is "success": the 0.1 gate is too strict here')
    const table = await exp(['list'], {cwd: ws})
    assert.match(
      table.stdout,
      /2025-04-01-strict\s+success\s+.*metadata\.json status is "success": the 0\.1 gate is too strict here/,
    )
    assert.equal(
      await read(path.join(dir, 'notes.md')),
      `${notes}\nStatus: ✓ the 0.1 gate is too strict here <!-- exp mark -->\n`,
    )
    const metadata = JSON.parse(await read(path.join(dir, 'metadata.json')))
    assert.equal(metadata.status, 'success')
    assert.equal(metadata.hypothesis, 'h', 'other keys kept')
    assert.equal(metadata.verdict.notes_line, 'Status: ✓ the 0.1 gate is too strict here <!-- exp mark -->')
    assert.ok(!('previous_status' in metadata.verdict))
  })

  it("marking again replaces exp's line (one verdict line), --failed writes ✗", async () => {
    const r = await exp(['mark', 'strict', '--failed', '--reason', 'on second thought: unstable'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Marked 2025-04-01-strict failed/)
    assert.equal(
      await read(path.join(dir, 'notes.md')),
      `${notes}\nStatus: ✗ on second thought: unstable <!-- exp mark -->\n`,
    )
    assert.equal(
      (await listed(ws, '2025-04-01-strict')).reason,
      'metadata.json status is "failed": on second thought: unstable',
    )
  })

  it('--clear --dry-run changes nothing; --clear restores report-based classification and the files', async () => {
    const before = await treeSnapshot(ws)
    const dry = await expJson(['mark', 'strict', '--clear', '--dry-run'], {cwd: ws})
    assert.equal(dry.json.action, 'cleared')
    assert.equal(dry.json.dry_run, true)
    assert.deepEqual(await treeSnapshot(ws), before)
    const r = await exp(['mark', 'strict', '--clear'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Cleared exp's verdict on 2025-04-01-strict \(1 notes\.md line\)/)
    const e = await listed(ws, '2025-04-01-strict')
    assert.equal(e.status, 'failed')
    assert.equal(e.rule, 'report')
    assert.match(e.reason, /reports\/eval\.json: gates_passed is false/)
    assert.equal(await read(path.join(dir, 'notes.md')), notes, 'notes.md as it was')
    assert.deepEqual(JSON.parse(await read(path.join(dir, 'metadata.json'))), {hypothesis: 'h', schema: 1})
    const again = await exp(['mark', 'strict', '--clear'], {cwd: ws})
    assert.equal(again.code, 0)
    assert.match(again.stdout, /nothing to clear/)
  })

  it("a person's own status and Status: line survive a mark and its --clear", async () => {
    const own = '# mine\n\nStatus: ✗ I judged this one myself\n'
    const mine = await makeExperiment(ws, '2025-04-02-mine', {'metadata.json': {status: 'failed'}, 'notes.md': own})
    assert.equal((await exp(['mark', 'mine', '--success'], {cwd: ws})).code, 0)
    assert.equal((await listed(ws, '2025-04-02-mine')).status, 'success')
    assert.equal(await read(path.join(mine, 'notes.md')), `${own}\nStatus: ✓ <!-- exp mark -->\n`)
    assert.equal(JSON.parse(await read(path.join(mine, 'metadata.json'))).verdict.previous_status, 'failed')
    assert.equal((await exp(['mark', 'mine', '--clear'], {cwd: ws})).code, 0)
    assert.deepEqual(JSON.parse(await read(path.join(mine, 'metadata.json'))), {status: 'failed'})
    assert.equal(await read(path.join(mine, 'notes.md')), own)
    const e = await listed(ws, '2025-04-02-mine')
    assert.equal(e.status, 'failed')
    assert.equal(e.reason, 'metadata.json status is "failed"')
  })

  it('an experiment made by exp new: the template explains the verdict and does not count as one', async () => {
    assert.equal((await exp(['new', 'fresh'], {cwd: ws})).code, 0)
    const [name] = (await fs.readdir(path.join(ws, 'experiments'))).filter((n) => n.endsWith('-fresh'))
    const template = await read(path.join(ws, 'experiments', name, 'notes.md'))
    assert.match(template, /exp mark NAME --success --reason/)
    assert.equal((await listed(ws, name)).status, 'active')
    assert.equal((await exp(['mark', 'fresh', '--failed', '--reason', 'never converged'], {cwd: ws})).code, 0)
    assert.match(
      await read(path.join(ws, 'experiments', name, 'notes.md')),
      /Status: pending\n[\s\S]*-->\n\nStatus: ✗ never converged <!-- exp mark -->\n$/,
    )
    assert.equal((await listed(ws, name)).reason, 'metadata.json status is "failed": never converged')
  })

  it('usage errors exit 2; an unknown experiment or a broken metadata.json exits 1 and writes nothing', async () => {
    assert.equal((await exp(['mark', 'strict'], {cwd: ws})).code, 2)
    assert.equal((await exp(['mark', 'strict', '--success', '--failed'], {cwd: ws})).code, 2)
    assert.equal((await exp(['mark', 'strict', '--clear', '--reason', 'x'], {cwd: ws})).code, 2)
    const unknown = await exp(['mark', 'nope', '--success'], {cwd: ws})
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no experiment named "nope"/)
    await makeExperiment(ws, '2025-04-03-broken', {'metadata.json': '{"status": '})
    const before = await treeSnapshot(ws)
    const broken = await exp(['mark', 'broken', '--success'], {cwd: ws})
    assert.equal(broken.code, 1)
    assert.match(broken.stderr, /metadata\.json is not a JSON object/)
    assert.deepEqual(await treeSnapshot(ws), before)
  })
})

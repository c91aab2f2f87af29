import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs, readdirSync} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, expJson, makeExperiment, removeDir, tempWorkspace, writeTree} from '../support/exp.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const SIZE = 512 * 1024 * 1024

/** A train engine that leaves a large SPARSE checkpoint (no disk used), so exp's hashing takes a while. */
const ENGINE = `import json, os, sys
if sys.argv[1] == 'train':
    os.makedirs(sys.argv[2], exist_ok=True)
    with open(os.path.join(sys.argv[2], 'weights.bin'), 'wb') as f:
        f.truncate(${SIZE})
    with open(os.path.join(sys.argv[2], 'step.txt'), 'w') as f:
        f.write('1000\\n')
else:
    os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
    with open(sys.argv[2], 'w') as f:
        json.dump({'gates_passed': True, 'final_nrmse': 0.05}, f)
`

/**
 * exp SIGKILLed at random instants while it hashes a 512 MiB sparse checkpoint: never a partial MANIFEST.json
 * (absent, or whole and right), and the run shows the checkpoint uncommitted.
 */
describe('checkpoint commit under SIGKILL', function () {
  this.timeout(180_000)
  let ws: string
  let experimentDir: string
  before(async () => {
    ws = await tempWorkspace()
    await writeTree(ws, {
      'engine.py': ENGINE,
      'exp.yaml':
        'engines:\n  train: ["{python}", "{workspace}/engine.py", train, "{checkpoint_dir}"]\n  evaluate: ["{python}", "{workspace}/engine.py", evaluate, "{report}"]\n',
    })
    experimentDir = await makeExperiment(ws, '2025-01-01-big')
  })
  after(async () => removeDir(ws))

  const runIds = () =>
    existsSync(path.join(experimentDir, 'runs')) ? readdirSync(path.join(experimentDir, 'runs')).sort() : []
  const readRun = async (id: string) =>
    JSON.parse(await fs.readFile(path.join(experimentDir, 'runs', id, 'run.json'), 'utf8'))

  it('never leaves a partial MANIFEST.json; a killed commit shows the checkpoint uncommitted', async () => {
    // one whole run first: how long hashing takes here, and that it is recorded
    const whole = await expJson(['launch', 'big'], {cwd: ws})
    assert.equal(whole.code, 0, JSON.stringify(whole.json))
    const committed = whole.json.record.stages[0].checkpoint
    assert.equal(committed.bytes, SIZE + 5)
    // kills land at a random instant of this window after train is seen completed; the window halves whenever a kill
    // came after the commit (a loaded machine sees train's completion late), until 4 kills landed before it
    let window = Math.max(200, committed.hash_ms)

    let uncommitted = 0
    let kills = 0
    for (let i = 0; i < 20 && (i < 8 || uncommitted < 4); i++) {
      const known = new Set(runIds())
      const child = execa(process.execPath, [EXP_BIN, 'launch', 'big'], {
        cwd: ws,
        env: {EXP_ROOT: undefined},
        reject: false,
        stdin: 'ignore',
      })
      // hashing starts as soon as the train stage is recorded completed
      let runId: string | undefined
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline) {
        runId = runIds().find((id) => !known.has(id))
        const run = runId ? await readRun(runId).catch(() => undefined) : undefined
        if (run?.stages[0].state === 'completed') break
        await sleep(5)
      }
      assert.ok(runId, 'the launch made a run')
      await sleep(Math.random() * window)
      child.kill('SIGKILL')
      await child
      kills++
      const dir = path.join(experimentDir, 'checkpoints', runId!)
      const manifestFile = path.join(dir, 'MANIFEST.json')
      const {json: show} = await expJson(['show', 'big'], {cwd: ws})
      const state = show.checkpoints.find((c: any) => c.run_id === runId).state
      if (existsSync(manifestFile)) {
        // killed after the rename: the manifest is whole and right
        JSON.parse(await fs.readFile(manifestFile, 'utf8'))
        assert.equal(state, 'committed')
        const verified = await expJson(['verify', 'big', '--quick'], {cwd: ws})
        assert.deepEqual(verified.json.checkpoints.find((c: any) => c.run_id === runId).problems, [])
        window /= 2
      } else {
        uncommitted++
        assert.equal(state, 'uncommitted')
        assert.equal((await readRun(runId!)).state, 'interrupted', 'the run is not left running')
        // exp's own temporary file, if the kill came mid-write, is the only thing beside the engine's files
        for (const f of await fs.readdir(dir))
          assert.match(f, /^(weights\.bin|step\.txt|\.MANIFEST\.json\.\d+\.[\da-f]+\.tmp)$/)
      }
    }
    assert.ok(kills >= 8)
    assert.ok(uncommitted >= 4, `only ${uncommitted} of ${kills} kills landed before the commit`)
  })
})

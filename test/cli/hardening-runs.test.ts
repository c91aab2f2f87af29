import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, promises as fs, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {exp, expJson, inProcess, makeExperiment, removeDir, ROOT, tempDir, tempWorkspace} from '../support/exp.js'
import {holdWorkspaceLock} from '../support/held-lock.js'

/**
 * Issue 12, the run/launch half: records are input (paths from run.json stay inside the experiment), names with
 * line breaks never reach a generated script, a reused pid is "gone" and never signalled, a launch never recreates
 * an experiment moved away while it waited, no engine output is lost, the vast key is scrubbed wherever it comes
 * from, and user-caused filesystem and YAML problems are one line. Each test reproduces an attack from the issue.
 */
const FAKE_VAST = path.join(ROOT, 'test', 'support', 'fake-vastai')
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()

function oneLine(stderr: string, pattern: RegExp): void {
  assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`)
  assert.match(stderr, pattern)
  assert.doesNotMatch(stderr, /this is a bug/)
}

function runRecord(runId: string, patch: Record<string, unknown> = {}, stage: Record<string, unknown> = {}): object {
  return {
    backend: 'local',
    created_at: '2025-01-22T10:15:00.000Z',
    experiment: 'x',
    host: os.hostname(),
    run_id: runId,
    schema: 1,
    stages: [
      {command: ['true'], cwd: '.', log: `runs/${runId}/train.log`, name: 'train', state: 'completed', ...stage},
    ],
    state: 'completed',
    updated_at: '2025-01-22T10:16:00.000Z',
    ...patch,
  }
}

describe('hardening: records, identities, launch races, output, secrets', function () {
  inProcess() // commands run in this process (test/support/in-process.ts); e2e: true for the binary
  this.timeout(120_000)
  let ws: string | undefined
  let root: string | undefined
  const children: ChildProcess[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
    await removeDir(ws)
    await removeDir(root)
    ws = root = undefined
  })

  it('1: a run_id that climbs out of the experiment is an invalid record: exp list writes nothing outside it', async () => {
    ws = await tempWorkspace()
    // a "live" run whose supervisor is gone: before, exp list recorded it interrupted at <workspace>/pwn/run.json
    const record = runRecord('../../../pwn', {state: 'running', supervisor_pid: 999_999_99}, {state: 'running'})
    await makeExperiment(ws, '2025-01-22-x', {'runs/r1/run.json': record})
    const r = await exp(['list'], {cwd: ws})
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!existsSync(path.join(ws, 'pwn')), 'nothing written outside the experiment')
    assert.match(r.stderr, /runs\/r1\/run\.json: run_id "\.\.\/\.\.\/\.\.\/pwn" is not a plain name; record not used/)
  })

  it('1: a stage log outside the experiment is never read: exp logs fails in one line naming file and field', async () => {
    ws = await tempWorkspace()
    await fs.writeFile(path.join(ws, 'secret.txt'), 'TOPSECRET\n')
    await makeExperiment(ws, '2025-01-22-x', {'runs/r1/run.json': runRecord('r1', {}, {log: '../../secret.txt'})})
    const r = await exp(['logs', 'x'], {cwd: ws})
    assert.ok(!r.stdout.includes('TOPSECRET'), 'the file outside was printed')
    assert.equal(r.code, 1)
    oneLine(
      r.stderr,
      /runs\/r1\/run\.json: stages\[0\]\.log "\.\.\/\.\.\/secret\.txt" is not a path inside the experiment/,
    )
  })

  it('2: a folder name with a line break never reaches a vast script: launch refuses it in one line', async () => {
    root = await tempDir('exp-hard-vast-')
    ws = path.join(root, 'ws')
    const env = {
      FAKE_VAST_HOME: path.join(root, 'fake'),
      PATH: `${FAKE_VAST}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: 'k-123456',
      XDG_CONFIG_HOME: path.join(root, 'xdg'),
    }
    await fs.mkdir(env.FAKE_VAST_HOME, {recursive: true})
    assert.equal((await exp(['init', ws], {cwd: root, env})).code, 0)
    const name = '2025-01-22-evil\nid >PWNED\n#'
    await makeExperiment(ws, name)
    const r = await exp(['launch', name, '--backend', 'vast', '--dry-run'], {cwd: ws, env})
    // before: the onstart script shown (and written) had "id >PWNED" as a line of its own
    assert.ok(!r.stdout.split('\n').includes('id >PWNED'), 'the name was pasted into a script as a command')
    assert.equal(r.code, 1)
    oneLine(r.stderr, /holds a line break or control character; rename it/)
  })

  it('3: a reused pid keeps no run alive and is never signalled by exp cancel', async () => {
    ws = await tempWorkspace()
    // an unrelated process that happens to hold the recorded pid (as after a reboot): its own process group
    const stranger = spawn('sleep', ['60'], {detached: true, stdio: 'ignore'})
    children.push(stranger)
    const pid = stranger.pid!
    const record = runRecord(
      'r1',
      {boot_id: bootId(), state: 'running', supervisor_pid: pid, supervisor_start: '1'},
      {pid, pid_start: '1', state: 'running'},
    )
    await makeExperiment(ws, '2025-01-22-x', {'runs/r1/run.json': record})
    const runs = await expJson(['runs', 'x'], {cwd: ws})
    assert.equal(runs.code, 0, runs.stderr)
    assert.equal(
      JSON.stringify(runs.json).includes('"interrupted"'),
      true,
      `still live: ${JSON.stringify(runs.json).slice(0, 400)}`,
    )
    const cancel = await exp(['cancel', 'x', '--yes'], {cwd: ws})
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.equal(stranger.exitCode, null, 'the unrelated process was signalled')
    assert.doesNotThrow(() => process.kill(pid, 0))
  })

  it('4: a launch that waited for the lock while its experiment was moved away refuses and recreates nothing', async () => {
    ws = await tempWorkspace()
    const dir = await makeExperiment(ws, '2025-01-22-x')
    // the lock held by a live process (this test), as by an archive in progress
    const lock = await holdWorkspaceLock(ws)
    const launch = exp(['launch', 'x', '--detach'], {cwd: ws})
    await lock.someoneWaits() // the launch has checked the experiment and is waiting for the lock
    await fs.mkdir(path.join(ws, 'experiments-archive'), {recursive: true})
    await fs.rename(dir, path.join(ws, 'experiments-archive', '2025-01-22-x'))
    await lock.release()
    const r = await launch
    assert.ok(!existsSync(dir), 'launch recreated the experiment folder it had lost')
    assert.equal(r.code, 1)
    oneLine(r.stderr, /was moved or replaced while this launch waited/)
  })

  it('5: an engine that prints one line and exits at once: the line is in the log every time (50 launches)', async () => {
    ws = await tempWorkspace()
    await fs.appendFile(
      path.join(ws, 'exp.yaml'),
      `engines:\n  train: [sh, -c, "echo line-{run_id}; printf x"]\n  evaluate: ["true"]\n`,
    )
    const names = ['a', 'b', 'c', 'd', 'e']
    for (const n of names) await makeExperiment(ws, `2025-01-22-${n}`)
    let found = 0
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(names.map((n) => expJson(['launch', n, '--stage', 'train'], {cwd: ws!})))
      for (const [i, r] of results.entries()) {
        assert.equal(r.code, 0, r.stderr)
        const runId: string = r.json.run_id
        const log: string = await fs.readFile(
          path.join(ws!, 'experiments', `2025-01-22-${names[i]}`, 'runs', runId, 'train.log'),
          'utf8',
        )
        assert.equal(log, `line-${runId}\nx`)
        found++
      }
    }
    assert.equal(found, 50)
  })

  it("14: the vast key from vastai's key file (or shaped like a key) never reaches run.json, launch.log or stderr", async () => {
    root = await tempDir('exp-hard-key-')
    ws = path.join(root, 'ws')
    const key = 'filekey-7c1e2d3f-never-print-me'
    const hexKey = 'ab'.repeat(32)
    const xdg = path.join(root, 'xdg')
    await fs.mkdir(path.join(xdg, 'vastai'), {recursive: true})
    await fs.writeFile(path.join(xdg, 'vastai', 'vast_api_key'), `${key}\n`)
    const home = path.join(root, 'fake')
    await fs.mkdir(home, {recursive: true})
    const msg = `bad request for api_key=${key} (other key ${hexKey}, token api-key: s3cr3t-token-99)`
    await fs.writeFile(
      path.join(home, 'scenario.json'),
      JSON.stringify({http_errors: [{command: 'create instance', msg, status: 400, times: 10}]}),
    )
    const env = {
      FAKE_VAST_HOME: home,
      PATH: `${FAKE_VAST}${path.delimiter}${process.env.PATH}`,
      VAST_API_KEY: undefined,
      XDG_CONFIG_HOME: xdg,
    }
    assert.equal((await exp(['init', ws], {cwd: root, env})).code, 0)
    await fs.appendFile(path.join(ws, 'exp.yaml'), 'backends:\n  vast:\n    poll_interval: 0.2\n')
    await makeExperiment(ws, '2025-01-22-x')
    const r = await exp(['launch', 'x', '--backend', 'vast'], {cwd: ws, env})
    assert.notEqual(r.code, 0)
    const texts = [r.stdout, r.stderr]
    const runs = path.join(ws, 'experiments', '2025-01-22-x', 'runs')
    for (const id of await fs.readdir(runs).catch(() => [] as string[])) {
      for (const f of await fs.readdir(path.join(runs, id), {recursive: true}))
        texts.push(await fs.readFile(path.join(runs, id, f), 'utf8').catch(() => ''))
    }
    assert.ok(texts.join('\n').includes('bad request'), `vastai's error was recorded: ${r.stderr}`)
    for (const secret of [key, hexKey, 's3cr3t-token-99'])
      assert.ok(!texts.some((t) => t.includes(secret)), `${secret} leaked: ${r.stderr}`)
  })

  it('16: a YAML alias bomb in exp.yaml and a file where exp needs a folder are one line naming the path', async () => {
    ws = await tempWorkspace()
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`),
    ].join('\n')
    const yaml = path.join(ws, 'exp.yaml')
    const original = await fs.readFile(yaml, 'utf8')
    await fs.writeFile(yaml, `${original}\nbomb:\n${bomb.replace(/^/gm, '  ')}\n`)
    const list = await exp(['list'], {cwd: ws})
    assert.equal(list.code, 1)
    oneLine(list.stderr, /invalid YAML in .*exp\.yaml: .*alias/i)
    await fs.writeFile(yaml, original)
    await fs.rm(path.join(ws, 'experiments'), {force: true, recursive: true})
    await fs.writeFile(path.join(ws, 'experiments'), 'not a folder')
    const created = await exp(['new', 'y'], {cwd: ws})
    assert.equal(created.code, 1)
    oneLine(created.stderr, /(not a directory|a file is in the way): .*experiments/)
    await fs.rm(path.join(ws, '.exp'), {force: true, recursive: true})
    await fs.writeFile(path.join(ws, '.exp'), 'not a folder')
    const locked = await exp(['new', 'y'], {cwd: ws})
    assert.equal(locked.code, 1)
    oneLine(locked.stderr, /(not a directory|a file is in the way): .*\.exp/)
  })
})

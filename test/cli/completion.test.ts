import assert from 'node:assert/strict'
import {execa} from 'execa'
import {spawnSync} from 'node:child_process'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, EXP_BIN, removeDir, requireTool, tempDir, tempWorkspace, writeTree} from '../support/exp.js'

/**
 * Shell completion (README "Names"): `exp __complete WORDS...` through the built binary, and the script
 * `exp completion bash` prints, loaded in a real bash that then calls its completion function as Tab would.
 */
describe('shell completion: names, variants, run ids and enum values', function () {
  this.timeout(60_000)
  let ws: string
  let bin: string

  const complete = async (...words: string[]) => {
    const r = await exp(['__complete', ...words], {cwd: ws, e2e: true})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    return r.stdout.split('\n').filter(Boolean)
  }

  before(async () => {
    ws = await tempWorkspace()
    for (const args of [
      ['new', 'lat2', '--date', '2025-01-02'],
      ['new', 'lat3', '--date', '2025-03-04'],
      ['new', 'sw', '--date', '2026-02-01', '--grid', 'model.latent_dim=4,8'],
    ]) {
      const r = await exp(args, {cwd: ws})
      assert.equal(r.code, 0, r.stderr)
    }
    await writeTree(ws, {
      'experiments-archive/2024-05-06-old/config.yaml': 'a: 1\n',
      'experiments/2025-01-02-lat2/runs/20250102-101010-aaaa/run.json': {},
      'experiments/2025-01-02-lat2/runs/20250103-101010-bbbb/run.json': {},
    })
    // `exp` on PATH, as a user has it, for the shell script
    bin = await tempDir('exp-bin-')
    await fs.symlink(EXP_BIN, path.join(bin, 'exp'))
  })

  after(async () => {
    await removeDir(ws)
    await removeDir(bin)
  })

  it('experiment names: active ones for show (and archived), the archive only for restore, undated names too', async () => {
    assert.deepEqual(await complete('show', '2025-'), ['2025-01-02-lat2', '2025-03-04-lat3'])
    assert.deepEqual(await complete('show', ''), [
      '2024-05-06-old',
      '2025-01-02-lat2',
      '2025-03-04-lat3',
      '2026-02-01-sw',
    ])
    assert.deepEqual(await complete('launch', ''), ['2025-01-02-lat2', '2025-03-04-lat3', '2026-02-01-sw'])
    assert.deepEqual(await complete('restore', ''), ['2024-05-06-old'])
    assert.deepEqual(await complete('show', 'lat'), ['2025-01-02-lat2', '2025-03-04-lat3'])
    assert.deepEqual(await complete('new', ''), [], 'a new name is not an existing one')
  })

  it("EXP/VARIANT: a sweep's variants, by full or undated name", async () => {
    assert.deepEqual(await complete('launch', 'sw/'), ['sw/latent-dim4', 'sw/latent-dim8'])
    assert.deepEqual(await complete('logs', '2026-02-01-sw/latent-dim8'), ['2026-02-01-sw/latent-dim8'])
    assert.deepEqual(await complete('show', 'experiments/'), [], 'a path: left to the shell')
  })

  it('run ids after --run (newest first), enum values after --status, --backend, --stage', async () => {
    assert.deepEqual(await complete('logs', 'lat2', '--run', ''), ['20250103-101010-bbbb', '20250102-101010-aaaa'])
    assert.deepEqual(
      await complete('logs', '--stage', 'train', 'lat2', '--run', ''),
      ['20250103-101010-bbbb', '20250102-101010-aaaa'],
      'a flag value is not the NAME',
    )
    assert.deepEqual(await complete('logs', 'lat2', '--run', '20250102'), ['20250102-101010-aaaa'])
    assert.deepEqual(await complete('list', '--status', ''), ['active', 'success', 'failed', 'stale'])
    assert.deepEqual(await complete('launch', 'lat2', '--backend', 's'), ['slurm'])
    assert.deepEqual(await complete('logs', 'lat2', '--stage', ''), ['train', 'evaluate', 'launch'])
  })

  it("command names, a topic's subcommands and flag names", async () => {
    assert.deepEqual(await complete('sh'), ['show'])
    assert.deepEqual(await complete('graph', 'v'), ['validate'])
    assert.deepEqual(await complete('list', '--st'), ['--status'])
    const outside = await tempDir()
    const r = await exp(['__complete', 'show', ''], {cwd: outside, e2e: true})
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', ''], 'outside a workspace: nothing, no error')
    await removeDir(outside)
  })

  /** Tabs pressed in a real shell, each with what it must offer */
  const TABS: Array<[string[], string[]]> = [
    [
      ['exp', 'show', '2025-'],
      ['2025-01-02-lat2', '2025-03-04-lat3'],
    ],
    [
      ['exp', 'launch', 'sw/'],
      ['sw/latent-dim4', 'sw/latent-dim8'],
    ],
    [
      ['exp', 'logs', 'lat2', '--run', ''],
      ['20250103-101010-bbbb', '20250102-101010-aaaa'],
    ],
    [
      ['exp', 'list', '--status', ''],
      ['active', 'success', 'failed', 'stale'],
    ],
  ]
  /** a shell run with `exp` on PATH; its output split at the `---` lines each step prints */
  const inShell = async (shell: string, args: string[], steps: string[]) => {
    const r = await execa(shell, [...args, steps.join('\n')], {
      cwd: ws,
      env: {EXP_CACHE_DIR: '', PATH: `${bin}:${process.env.PATH}`},
      reject: false,
    })
    assert.equal(r.exitCode, 0, r.stderr)
    return r.stdout.split('\n---').map((a) => a.trim().split('\n').filter(Boolean))
  }

  it('the bash script, loaded in an interactive bash, registers itself and offers the same candidates', async () => {
    const script = await exp(['completion', 'bash'], {cwd: ws})
    assert.equal(script.code, 0, script.stderr)
    const tab = (words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _exp_complete; printf '%s\\n' "\${COMPREPLY[@]}"; echo ---`
    const [registered, ...answers] = await inShell(
      'bash',
      ['--norc', '--noprofile', '-i', '-c'],
      ['eval "$(exp completion bash)"', 'complete -p exp; echo ---', ...TABS.map(([words]) => tab(words))],
    )
    assert.match(registered.join('\n'), /^complete .*-F _exp_complete exp$/)
    assert.deepEqual(
      answers.slice(0, TABS.length),
      TABS.map(([, expected]) => expected),
    )
  })

  it('the zsh script, loaded in zsh, registers itself and offers the candidates (file names when exp has none)', async function () {
    requireTool(this, spawnSync('zsh', ['--version']).status === 0, 'zsh (apt-get install zsh)')
    // compadd and _files exist only inside a completion widget: stand-ins print what they were given
    const tab = (words: string[]) =>
      `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _exp_complete; print -- ---`
    const steps = [
      'eval "$(exp completion zsh)"',
      'compadd() { print -l -- "${@[(r)--,-1][2,-1]}"; }',
      '_files() { print FILES; }',
      'print -- "${_comps[exp]}"; print -- ---',
    ]
    const answers = await inShell(
      'zsh',
      ['-f', '-c'],
      [...steps, ...TABS.map(([words]) => tab(words)), tab(['exp', 'show', 'experiments/'])],
    )
    assert.deepEqual(answers.slice(0, TABS.length + 2), [
      ['_exp_complete'],
      ...TABS.map(([, expected]) => expected),
      ['FILES'],
    ])
    const json = await exp(['completion', 'zsh', '--json'], {cwd: ws})
    assert.deepEqual(Object.keys(JSON.parse(json.stdout)).sort(), ['script', 'shell'])
  })
})

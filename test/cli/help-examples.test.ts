import assert from 'node:assert/strict'
import {execa} from 'execa'
import {promises as fs, readFileSync} from 'node:fs'
import path from 'node:path'

import {EXP_BIN, exp, expIn, inProcess, removeDir, ROOT, tempDir, tempWorkspace} from '../support/exp.js'

/**
 * Every example in every command's help, run as written (through bash, `exp` being the built CLI) in a fresh copy
 * of a scratch workspace that has what the examples name: test-32dim, test-64dim (launched: a success with a report),
 * test-128dim and test-8dim (failed), test-16dim (archived), a work graph with one node. An example exits 0 unless it is listed below with the exit it documents and why; examples that need
 * something this machine's scratch workspace cannot have (a SLURM cluster, vast.ai, an rclone remote, a sweep from a
 * summary, a run id of the author's) are listed with the reason and checked to parse (exit ≠ 2 for usage).
 */
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {examples?: Array<string | {command: string}>}>
}

/** Examples documented to fail in the scratch workspace: the exit, and why. */
const EXPECTED: Record<string, [number, string]> = {
  'exp diff test-64dim configs/train_burgers_golden.yaml --exit-code': [
    1,
    'the configs differ, and --exit-code says so',
  ],
}

/** Examples that need what a scratch workspace has not: they are only checked not to be usage errors. */
const ELSEWHERE: Array<[RegExp, string]> = [
  [/--slurm|--backend slurm|graph submit/, 'a SLURM cluster (test/cli/slurm.test.ts)'],
  [/--vast/, 'vast.ai (test/cli/vast.test.ts, the fake vastai)'],
  [/^exp remote /, 'an rclone remote (test/cli/remote.test.ts)'],
  [/20250122-101500-3f2a|\/path\/to/, "a placeholder run id or path of the author's"],
  [/cap-lora-sweep|--from-summary/, 'a sweep made from an experiment summary (test/cli/sweep.test.ts)'],
  [/\| dot /, 'graphviz'],
  [/--eval /, 'an evaluation suite (exp.yaml engines.evaluate as a map; test/cli/suites.test.ts)'],
  [/--open/, 'a desktop to open the page on'],
  [
    /--pattern|train_burgers_32dim_test|--rollback|graph (mark|remove|reset) |ft-lr3|eval-lr3/,
    'a file, a promotion or a graph node the example assumes',
  ],
]

/**
 * The words of an example that is one plain `exp` call (quotes but no shell expansion, redirection or pipe), which
 * then runs in this process (test/support/in-process.ts) as bash would run it; undefined for the others (through bash).
 */
function plainCall(text: string): string[] | undefined {
  if (!text.startsWith('exp ') || /[|;&<>$`()\\\n*?~]/.test(text) || ELSEWHERE.some(([re]) => re.test(text)))
    return undefined
  const words = text.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? []
  return words.slice(1).map((w) => w.replaceAll(/'([^']*)'|"([^"]*)"/g, (_m, a, b) => a ?? b))
}

const examples = Object.entries(manifest.commands).flatMap(([id, c]) =>
  (c.examples ?? []).map((e) => ({
    id,
    text: (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'exp'),
  })),
)

describe("every example in every command's help runs as written", function () {
  this.timeout(300_000)
  inProcess() // the setup and the plain examples run in this process; the others through bash
  let template: string
  let home: string

  before(async () => {
    template = await tempWorkspace()
    home = await tempDir('exp-home-')
    const setup = [
      ['new', 'test-32dim', '--set', 'model.latent_dim=32'],
      ['new', 'test-64dim', '--set', 'model.latent_dim=64'],
      ['launch', 'test-64dim'],
      ...['test-128dim', 'test-8dim', 'test-16dim'].flatMap((n) => [
        ['new', n],
        ['mark', n, '--failed', '--reason', 'diverged'],
      ]),
      ['archive', 'test-16dim', '--yes'],
      ['graph', 'add', 'n0', '--action', 'noop'],
    ]
    for (const args of setup) {
      const r = await exp(args, {cwd: template})
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    }
  })
  after(async () => {
    await removeDir(template)
    await removeDir(home)
  })

  it('no example names a dated experiment (they must work on any date)', () => {
    assert.deepEqual(
      examples.filter((e) => /\b20\d\d-\d\d-\d\d-[a-z]/.test(e.text) && !/\/path\/to/.test(e.text)).map((e) => e.text),
      [],
    )
  })

  it('each example exits as documented', async () => {
    assert.ok(examples.length >= 80, `only ${examples.length} examples`)
    const problems: string[] = []
    const check = (text: string, code: number, stderr: string) => {
      const elsewhere = ELSEWHERE.find(([re]) => re.test(text))
      const [want, why] = EXPECTED[text] ?? [0, '']
      if (elsewhere) {
        if (code === 2 && /Nonexistent flag|Missing|Unexpected argument|Parsing --|Expected --/.test(stderr))
          problems.push(`${text}: usage error: ${stderr.split('\n')[0]}`)
      } else if (code !== want)
        problems.push(`${text}: exit ${code}, documented ${want}${why ? ` (${why})` : ''}: ${stderr.split('\n')[0]}`)
    }
    /** a fresh copy of the scratch workspace for one example, removed after it */
    const inCopy = async (run: (ws: string) => Promise<{code: number; stderr: string}>) => {
      const ws = await tempDir('exp-example-')
      await fs.cp(template, ws, {recursive: true})
      try {
        return await run(ws)
      } finally {
        await removeDir(ws)
      }
    }
    // plain calls one at a time in this process, the others through bash in two child processes at once
    const plain = examples.filter((e) => plainCall(e.text))
    const shell = examples.filter((e) => !plainCall(e.text))
    const inner = async () => {
      for (const e of plain) {
        const r = await inCopy((ws) =>
          expIn(plainCall(e.text)!, {cwd: ws, env: {HOME: home, RCLONE_CONFIG: path.join(ws, 'none.conf')}}),
        )
        check(e.text, r.code, r.stderr)
      }
    }
    let next = 0
    const child = async () => {
      while (next < shell.length) {
        const e = shell[next++]
        const script = `exp() { ${JSON.stringify(process.execPath)} ${JSON.stringify(EXP_BIN)} "$@"; }\n${e.text}`
        const r = await inCopy(async (ws) => {
          const c = await execa('bash', ['-c', script], {
            cwd: ws,
            env: {EXP_ROOT: undefined, HOME: home, RCLONE_CONFIG: path.join(ws, 'none.conf')},
            input: '',
            reject: false,
            timeout: 60_000,
          })
          return {code: c.exitCode ?? -1, stderr: String(c.stderr)}
        })
        check(e.text, r.code, r.stderr)
      }
    }
    await Promise.all([inner(), child(), child()])
    assert.deepEqual(problems, [])
  })
})

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {exp, inProcess, ROOT, tempDir} from '../support/exp.js'

/**
 * One flag vocabulary (README "Flags"), checked on every command of the built manifest: `-y/--yes` on every command
 * that asks, `--dry-run` on every command that writes, `-h` for help everywhere, `--json` everywhere, one threshold
 * flag (`--threshold`, alias `--nrmse-threshold`), kebab-case names. Each command is classified below; a command
 * missing from the classification fails the test, so a new command has to decide.
 */
interface ManifestFlag {
  aliases?: string[]
  char?: string
  name: string
  type: string
}
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, ManifestFlag>; hidden?: boolean}>
}
const commands = manifest.commands
const ids = Object.keys(commands).sort()

/** Commands that ask a person before acting (and so take -y/--yes). */
const ASKS = ['adopt', 'archive', 'cancel', 'graph:remove', 'promote', 'remote:unlock', 'restore']
/** Commands that change the workspace, a crontab or a remote (and so take --dry-run). */
const WRITES = [
  'adopt',
  'archive',
  'cancel',
  'cron:install',
  'cron:remove',
  'graph:add',
  'graph:mark',
  'graph:remove',
  'graph:reset',
  'graph:run',
  'graph:submit',
  'launch',
  'mark',
  'new',
  'promote',
  'remote:pull',
  'remote:push',
  'remote:unlock',
  'restore',
  'sweep:setup',
  'verify',
]
/** Commands that only read, or write only a view a person asked for (an HTML/CSV file), or run inside a job exp made. */
const NO_DRY_RUN: Record<string, string> = {
  'checkpoint-stage': 'internal: run by the job script exp generates',
  collect: 'brings a finished run home: records what happened',
  compare: 'reads; writes only the --csv/--md file asked for',
  completion: 'prints a shell script',
  configs: 'reads',
  'cron:show': 'reads',
  diff: 'reads',
  'graph:next': 'reads',
  'graph:show': 'reads',
  'graph:validate': 'reads',
  init: 'creates a workspace where there is none; refuses an existing one',
  'launch-worker': 'internal: the background process exp launch --detach starts',
  leaderboard: 'reads; writes only the --html page asked for',
  list: 'reads',
  logs: 'reads',
  'remote:status': 'reads',
  report: 'writes only the report page asked for',
  runs: 'reads',
  show: 'reads',
  watch: 'reads (and refreshes what it observes)',
}

const flagsOf = (id: string) => Object.values(commands[id].flags)

describe('one flag vocabulary, on every command in the manifest', function () {
  this.timeout(120_000)
  inProcess() // commands run in this process (test/support/in-process.ts); help runs as a child process

  it('every command is classified (asks / writes / why no --dry-run)', () => {
    assert.ok(ids.length >= 40, `only ${ids.length} commands`)
    assert.deepEqual(
      ids.filter((id) => !WRITES.includes(id) && !(id in NO_DRY_RUN)),
      [],
    )
    assert.deepEqual(
      [...ASKS, ...WRITES, ...Object.keys(NO_DRY_RUN)].filter((id) => !commands[id]),
      [],
      'classified commands that do not exist',
    )
  })

  it('every command that asks has -y/--yes; -y means --yes everywhere', () => {
    const problems = ids.flatMap((id) => {
      const yes = commands[id].flags.yes
      const out: string[] = []
      if (ASKS.includes(id) && (!yes || yes.char !== 'y' || yes.type !== 'boolean')) out.push(`${id}: no -y/--yes`)
      for (const f of flagsOf(id)) if (f.char === 'y' && f.name !== 'yes') out.push(`${id}: -y is --${f.name}`)
      return out
    })
    assert.deepEqual(problems, [])
  })

  it('promote keeps --auto-promote as an alias of --yes', () => {
    assert.deepEqual(commands.promote.flags.yes.aliases, ['auto-promote'])
  })

  it('every command that writes has --dry-run', () => {
    assert.deepEqual(
      WRITES.filter((id) => commands[id]?.flags['dry-run']?.type !== 'boolean'),
      [],
    )
  })

  it('--json on every command; -h is never a flag of a command (it is help); names are kebab-case', () => {
    const problems = ids.flatMap((id) => [
      ...(commands[id].flags.json ? [] : [`${id}: no --json`]),
      ...flagsOf(id)
        .filter((f) => f.char === 'h')
        .map((f) => `${id}: -h is --${f.name}`),
      ...flagsOf(id)
        .filter((f) => !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(f.name))
        .map((f) => `${id}: --${f.name} is not kebab-case`),
    ])
    assert.deepEqual(problems, [])
  })

  it('one threshold flag: --threshold, with --nrmse-threshold only as its alias', () => {
    const problems = ids.flatMap((id) => [
      ...(commands[id].flags['nrmse-threshold'] ? [`${id}: --nrmse-threshold is a flag of its own`] : []),
      ...(commands[id].flags.threshold && !commands[id].flags.threshold.aliases?.includes('nrmse-threshold')
        ? [`${id}: --threshold without the --nrmse-threshold alias`]
        : []),
    ])
    assert.deepEqual(problems, [])
  })

  it('through the built CLI: -h prints help (exit 0) for every command; promote --yes and --auto-promote both parse', async () => {
    const dir = await tempDir()
    const problems: string[] = []
    let next = 0 // four child processes at a time, each taking the next command as it finishes
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < ids.length) {
          const id = ids[next++]
          const r = await exp([...id.split(':'), '-h'], {cwd: dir})
          if (r.code !== 0 || !/USAGE/.test(r.stdout))
            problems.push(`${id} -h: exit ${r.code} ${r.stderr.split('\n')[0]}`)
        }
      }),
    )
    problems.sort()
    assert.deepEqual(problems, [])
    for (const flag of ['--yes', '--auto-promote', '-y']) {
      const r = await exp(['promote', 'nothing-here', flag, '--dry-run', '--threshold', '0.1'], {cwd: dir})
      assert.doesNotMatch(r.stderr, /Nonexistent flag/, `${flag}: ${r.stderr}`)
    }
    const alias = await exp(['promote', 'nothing-here', '--nrmse-threshold', '0.1', '--dry-run'], {cwd: dir})
    assert.doesNotMatch(alias.stderr, /Nonexistent flag/)
  })

  it('usage errors are one line and exit 2 (exp launch without NAME once printed a note and 60 lines of help)', async () => {
    const dir = await tempDir()
    for (const [args, pattern] of [
      [['launch'], /^Error: Missing 1 required arg: name Try: exp launch --help$/],
      [['promote', '--bogus'], /^Error: Nonexistent flag: --bogus Try: exp promote --help$/],
      [
        ['promote', 'x', '--threshold', 'abc'],
        /^Error: Parsing --threshold: expected a finite number, got "abc" Try: exp promote --help$/,
      ],
    ] as const) {
      const r = await exp([...args], {cwd: dir})
      assert.equal(r.code, 2, args.join(' '))
      assert.equal(r.stdout, '')
      assert.match(r.stderr.trim(), pattern)
    }
  })

  it('one readable usage line per command: no garbled exclusive groups (promote once read "[--rollback <value> |  | ...")', async () => {
    const dir = await tempDir()
    const r = await exp(['promote', '-h'], {cwd: dir})
    const usage = r.stdout.split('USAGE\n')[1].split(/\n\n/)[0]
    assert.doesNotMatch(usage, /\|\s*\|/)
    assert.match(usage, /\$ exp promote --rollback FILE/)
  })

  it('the README command table names every command and every flag of it (checked against the manifest)', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const rows = readme
      .split(/^## Commands$/m)[1]
      .split(/^## /m)[0]
      .split('\n')
      .filter((l) => l.startsWith('| `exp'))
    const problems = ids.flatMap((id) => {
      if (commands[id].hidden) return []
      const name = `exp ${id.replaceAll(':', ' ')}`
      const text = rows.filter((r) => r.includes(`\`${name} `) || r.includes(`\`${name}\``)).join(' ')
      if (!text) return [`${id}: no row`]
      return Object.keys(commands[id].flags)
        .filter((f) => !['json', 'root'].includes(f) && !text.includes(`--${f}`) && !text.includes(`--[no-]${f}`))
        .map((f) => `${id}: --${f} not in its row`)
    })
    assert.deepEqual(problems, [])
  })
})

import {execa} from 'execa'
import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {
  buildCronLine,
  cronEscape,
  findLines,
  shellQuote,
  splitCronLine,
  withLine,
  withoutLine,
} from '../../src/cron/crontab.js'
import {nextRuns, validateSchedule} from '../../src/cron/schedule.js'
import {isExpError} from '../../src/errors.js'
import {removeDir, tempDir} from '../support/exp.js'

const NASTY = [
  'plain',
  'two words',
  "it's",
  '$(touch /tmp/pwned)',
  '`id`',
  'a"b',
  'back\\slash',
  '*',
  '',
  '-n',
  '100%',
  'tab\there',
  'ünï',
  "'",
  "''",
  '; rm -rf ~',
  '$HOME',
  'a=b',
]

describe('crontab lines', () => {
  let dir: string
  afterEach(() => removeDir(dir))

  it('shellQuote gives sh back every word exactly', async () => {
    for (const word of NASTY) {
      for (const always of [false, true]) {
        const r = await execa('sh', ['-c', `printf '%s' ${shellQuote(word, always)}`])
        assert.equal(r.stdout, word, `${JSON.stringify(word)} quoted as ${shellQuote(word, always)}`)
      }
    }
    assert.equal(shellQuote('/usr/bin/node', true), "'/usr/bin/node'")
    assert.equal(shellQuote('--status'), '--status')
  })

  it('escapes % for cron (which would turn it into a line break)', () => {
    assert.equal(cronEscape("cd '/data/100%' && x"), "cd '/data/100\\%' && x")
  })

  it('builds a line that sh runs as meant, from a workspace path full of special characters', async () => {
    dir = await tempDir('exp-cron-')
    const root = path.join(dir, `my ws's $HOME 100% \`x\``)
    await fs.mkdir(path.join(root, '.exp'), {recursive: true})
    const bin = path.join(dir, 'fake-exp.js')
    await fs.writeFile(
      bin,
      'console.log(JSON.stringify({argv: process.argv.slice(2), cwd: process.cwd(), stamps: process.env.EXP_LOG_TIMESTAMPS}))\n',
    )
    const log = path.join(root, '.exp', 'cron.log')
    const line = buildCronLine({
      args: ['archive', '--status', 'all', '--yes', "it's"],
      bin,
      log,
      node: process.execPath,
      root,
      schedule: '0 0 * * 0',
    })
    assert.ok(line.startsWith('0 0 * * 0 cd '))
    assert.ok(line.endsWith(` # exp:${root.replace(/%/g, '\\%')}`))
    // what cron does: unescape \% then hand the command to sh, with a bare environment
    const {command, schedule} = splitCronLine(line)
    assert.equal(schedule, '0 0 * * 0')
    await execa('env', ['-i', 'sh', '-c', command.replace(/\\%/g, '%')])
    await execa('env', ['-i', 'sh', '-c', command.replace(/\\%/g, '%')])
    const runs = (await fs.readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.equal(runs.length, 2, 'appends')
    assert.deepEqual(runs[0], {argv: ['archive', '--status', 'all', '--yes', "it's"], cwd: root, stamps: '1'})
  })

  it('refuses values with line breaks', () => {
    assert.throws(
      () => buildCronLine({args: ['archive'], bin: '/b', log: '/l', node: '/n', root: '/a\nb', schedule: '0 0 * * 0'}),
      /line break/,
    )
  })

  it('installs in place of the old line, keeps every other line, and removes only its own', () => {
    const others = 'MAILTO=""\n# backups\n5 4 * * * /usr/local/bin/backup --all\n@reboot /bin/true # exp:/ws2\n'
    const line1 = '0 0 * * 0 cd /ws && run # exp:/ws'
    const line2 = '@daily cd /ws && run # exp:/ws'
    const first = withLine(others, '/ws', line1)
    assert.equal(first.replaced, 0)
    assert.equal(first.table, others + line1 + '\n')
    const second = withLine(first.table, '/ws', line2)
    assert.equal(second.replaced, 1)
    assert.equal(second.table, others + line2 + '\n')
    assert.equal(withLine(second.table, '/ws', line2).table, second.table, 'idempotent')
    assert.deepEqual(findLines(second.table, '/ws'), [line2])
    assert.deepEqual(findLines(second.table, '/w'), [])
    const removed = withoutLine(second.table, '/ws')
    assert.equal(removed.removed, 1)
    assert.equal(removed.table, others)
    assert.equal(withoutLine(removed.table, '/ws').removed, 0)
    assert.deepEqual(withoutLine(line1 + '\n', '/ws'), {removed: 1, table: ''})
    assert.equal(withLine('', '/ws', line1).table, line1 + '\n')
  })
})

describe('cron schedules', () => {
  it('accepts what crontab accepts', () => {
    for (const s of ['0 0 * * 0', '*/15 2-4 1,15 * mon-fri', '30 2 * jan-mar 7', '@weekly', '@daily', '  0  0 * * 0 '])
      assert.doesNotThrow(() => validateSchedule(s), s)
    assert.equal(validateSchedule('  0  0 * * 0 '), '0 0 * * 0')
  })

  it('refuses the rest with one line that says why', () => {
    const bad: Array<[string, RegExp]> = [
      ['61 0 * * *', /got value 61 expected range 0-59/],
      ['0 0 * *', /4 fields/],
      ['0 0 0 * * 0', /6 fields/],
      ['0 0 L * *', /"L" is not a cron field/],
      ['0 0 * * 1#2', /"1#2" is not a cron field/],
      ['@reboot', /unknown shortcut @reboot/],
      ['weekly', /1 field/],
      ['0 0 31 2 *', /invalid cron schedule/],
    ]
    for (const [schedule, why] of bad) {
      assert.throws(
        () => validateSchedule(schedule),
        (error: unknown) =>
          isExpError(error) && error.exit === 2 && why.test(error.message) && !error.message.includes('\n'),
        schedule,
      )
    }
  })

  it('computes the next three runs in local time', () => {
    const from = new Date(2025, 0, 22, 10, 0) // a Wednesday, local time
    assert.deepEqual(
      nextRuns('0 0 * * 0', from).map((d) => [d.getDate(), d.getHours(), d.getDay()]),
      [
        [26, 0, 0],
        [2, 0, 0],
        [9, 0, 0],
      ],
    )
    assert.deepEqual(
      nextRuns('@daily', from).map((d) => d.getDate()),
      [23, 24, 25],
    )
  })
})

import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, promises as fs, readFileSync} from 'node:fs'
import path from 'node:path'

import {launchChromium} from '../support/browser.js'
import {removeDir, requireTool, ROOT, tempDir} from '../support/exp.js'

/** The commands of the README's quick start, as written: the first bash block under "## Quick start". */
export function quickStartCommands(readme: string): string[] {
  const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? ''
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
}

/**
 * A new user on a fresh copy of the repository, with a home of their own and no root: the README's quick start,
 * run line by line as written (one bash script, stopping at the first failure), reaches a promoted config and the
 * leaderboard page. The one substitution: `npm ci` is replaced by a hard-linked copy of this checkout's node_modules
 * (the registry is not the thing under test, and the test must run offline).
 */
describe('README quick start, as written, on a fresh copy with a user-prefix install', function () {
  this.timeout(240_000)
  let dir: string

  before(async function () {
    requireTool(
      this,
      existsSync(path.join(ROOT, '.git')) || existsSync(path.join(ROOT, '.git', 'HEAD')),
      'a git checkout (the fresh copy is git archive HEAD)',
    )
  })
  after(() => removeDir(dir))

  it('reaches a promoted config and the leaderboard page', async () => {
    const commands = quickStartCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
    assert.ok(
      commands.some((c) => c.startsWith('exp promote')) && commands.some((c) => c.startsWith('exp leaderboard')),
      commands.join('\n'),
    )
    assert.ok(
      commands.some((c) => /NPM_CONFIG_PREFIX=\$HOME\/\.local npm link|npm link --prefix|npx/.test(c)),
      'a no-root install',
    )
    dir = await tempDir('exp-quickstart-')
    const repo = path.join(dir, 'exp')
    const home = path.join(dir, 'home')
    await fs.mkdir(repo)
    await fs.mkdir(home)
    await execa('sh', ['-c', 'git -C "$1" archive HEAD | tar -x -C "$2"', 'sh', ROOT, repo])
    await execa('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules')])
    const script = ['set -e', ...commands.map((c) => c.replace(/^npm ci && /, ''))].join('\n')
    const env = {HOME: home, LANG: 'C.UTF-8', PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`}
    const r = await execa('bash', ['-c', script], {cwd: repo, env, extendEnv: false, reject: false, timeout: 200_000})
    assert.equal(r.exitCode, 0, `quick start failed:\n${r.stdout}\n${r.stderr}`)
    assert.ok(existsSync(path.join(home, '.local', 'bin', 'exp')), 'exp is in ~/.local/bin')
    const ws = path.join(home, 'research', 'burgers')
    assert.match(readFileSync(path.join(ws, 'configs', 'train_first.yaml'), 'utf8'), /^# Promoted by exp/m)
    const page = path.join(ws, 'reports', 'leaderboard.html')
    const browser = await launchChromium()
    try {
      const tab = await browser.newPage()
      await tab.goto(`file://${page}`)
      assert.match(await tab.innerText('body'), /first/)
    } finally {
      await browser.close()
    }
  })
})

#!/usr/bin/env node
// The last build step (`npm run build`: scripts/build.js, `oclif manifest`, then this): what bin/run.cjs reads instead
// of loading oclif, made once now from the manifest.
//
// dist/fast/manifest.json: the manifest's part bin/run.cjs needs on every call (each command's plugin, and the specs
// of the commands bundled for the fast path), a few KB to parse instead of the whole 100 KB.
//
// dist/help.json: oclif's own help text for `exp --help`, every `exp COMMAND --help` and every topic, so that
// bin/run.cjs prints it without loading oclif (≈ 2.5 × `node -e 0` through oclif, ≈ 1.1 × from the file).
// The text is what oclif prints where it prints the same for everyone: 80 columns (not a terminal, or one 80 wide, or
// OCLIF_COLUMNS=80) and no colour. bin/run.cjs checks both before using it; anything else goes through oclif.
// test/cli/startup-help.test.ts compares every entry with oclif's rendering of the same call.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** stands for the version line's `<package>/<version> <platform>-<arch> node-<version>`, which bin/run.cjs fills in */
const USER_AGENT = '\u0000user-agent\u0000'

if (process.argv[2] === '--render') {
  // in a child process whose environment fixes oclif's width and colour (both are read when oclif loads)
  const {Config, loadHelpClass} = (await import(pathToFileURL(path.join(ROOT, 'dist', 'oclif.js')).href)).default
  const config = await Config.load(path.join(ROOT, 'bin', 'run.cjs'))
  const Help = await loadHelpClass(config)
  // oclif's help rewrites the ids (and aliases) of the commands it prints with spaces, its topic separator, which
  // changes what the next rendering in this process finds: each rendering starts from the commands as loaded
  const loaded = config.commands.map((c) => [c, c.id, c.aliases])
  const render = async (argv) => {
    for (const [c, id, aliases] of loaded) Object.assign(c, {aliases, id})
    const chunks = []
    const write = process.stdout.write
    process.stdout.write = (chunk) => chunks.push(String(chunk)) > 0
    try {
      await new Help(config, config.pjson.oclif.helpOptions ?? config.pjson.helpOptions).showHelp(argv)
    } finally {
      process.stdout.write = write
    }
    return chunks.join('').replaceAll(config.userAgent, USER_AGENT)
  }
  const ids = loaded.map(([, id]) => id)
  const topicNames = config.topics.map((t) => t.name)
  const texts = {'': await render(['--help'])}
  const topics = {}
  for (const name of topicNames) {
    texts[name] = await render([...name.split(':'), '--help'])
    // `exp graph` (a topic alone, not a command) shows the same help as `exp graph --help`
    if (!config.findCommand(name) && (await render(name.split(':'))) === texts[name]) topics[name] = true
  }
  for (const id of ids) texts[id] = await render([...id.split(':'), '--help'])
  process.stdout.write(JSON.stringify({texts, topics}))
} else {
  const env = {...process.env, FORCE_COLOR: '0', OCLIF_COLUMNS: '80'}
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--render'], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  })
  if (r.status !== 0) throw new Error(`rendering the help text failed (exit ${r.status}): ${r.stderr}`)
  const {texts, topics} = JSON.parse(r.stdout)
  writeFileSync(path.join(ROOT, 'dist', 'help.json'), JSON.stringify({texts, topics, userAgent: USER_AGENT}))
  const {commands} = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
  const fast = (id) => existsSync(path.join(ROOT, 'dist', 'fast', 'commands', `${id.replaceAll(':', '/')}.cjs`))
  const slim = Object.fromEntries(
    Object.entries(commands).map(([id, c]) => [id, fast(id) ? c : {pluginType: c.pluginType}]),
  )
  writeFileSync(path.join(ROOT, 'dist', 'fast', 'manifest.json'), JSON.stringify({commands: slim}))
  console.log(
    `prerender: ${Object.keys(texts).length} help texts in dist/help.json, the fast path's manifest in dist/fast/manifest.json`,
  )
}

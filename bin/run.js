#!/usr/bin/env node

// `exp --version` answers before oclif loads (loading @oclif/core is most of exp's start-up); the line is
// oclif's own user agent, `<package>/<version> <platform>-<arch> node-<version>` (test/cli/startup.test.ts checks it).
import {existsSync, readFileSync} from 'node:fs'

const args = process.argv.slice(2)
const read = (file) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'))

async function main() {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    const pkg = read('package.json')
    process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
    return
  }
  // `exp __complete WORDS...`: the candidates shell completion offers (src/completion/), on every Tab, without oclif
  if (args[0] === '__complete') return (await import('../dist/fast/complete.js')).main(args.slice(1))
  // One of exp's own commands (named in the manifest), without a help flag, runs on a configuration without the
  // plugins (help, not-found, autocomplete): none has a part in it, and finding and reading each costs every call.
  const {commands} = read('oclif.manifest.json')
  const id = [`${args[0]}:${args[1]}`, args[0]].find((candidate) => Object.hasOwn(commands, candidate) && commands[candidate].pluginType === 'core')
  const own = id && !args.some((a) => a === '--help' || a === '-h' || a === '--')
  // The start-up fast path (src/fastpath/): a hot command the build bundled without oclif (dist/fast/) runs from
  // the manifest's flag specs when its arguments are plain; it answers false, having done nothing, for anything
  // else. EXP_NO_FAST_PATH=1 (or DEBUG) forces oclif's path, which the tests compare it with.
  if (own && !process.env.EXP_NO_FAST_PATH && !process.env.DEBUG) {
    const file = new URL(`../dist/fast/commands/${id.replaceAll(':', '/')}.js`, import.meta.url)
    if (existsSync(file)) {
      const [{default: command}, {runFast}] = await Promise.all([import(file), import('../dist/fast/run.js')])
      if (await runFast(command, commands[id], args.slice(id.split(':').length))) return
    }
  }
  // dist/ is the bundle `npm run build` makes (scripts/build.js); dist/oclif.js is the @oclif/core the commands share.
  // Anything else (help, a topic, an unknown word, autocomplete) takes oclif's full path.
  const {Config, execute} = (await import('../dist/oclif.js')).default
  let loadOptions
  if (own) {
    const pjson = read('package.json')
    pjson.oclif.plugins = []
    loadOptions = await Config.load({pjson, root: new URL('..', import.meta.url).pathname})
  }
  await execute({dir: import.meta.url, loadOptions})
}

await main()

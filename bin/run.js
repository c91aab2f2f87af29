#!/usr/bin/env node

// `exp --version` answers before oclif loads (loading @oclif/core is most of exp's start-up); the line is
// oclif's own user agent, `<package>/<version> <platform>-<arch> node-<version>` (test/cli/startup.test.ts checks it).
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // dist/ is the bundle `npm run build` makes (scripts/build.js); dist/oclif.js is the @oclif/core the commands share.
  // One of exp's own commands (named in the manifest), without a help flag, runs on a configuration without the
  // plugins (help, not-found, autocomplete): none has a part in it, and finding and reading each costs every call.
  // Anything else (help, a topic, an unknown word, autocomplete) takes oclif's full path.
  const {readFileSync} = await import('node:fs')
  const {Config, execute} = (await import('../dist/oclif.js')).default
  const read = (file) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'))
  const {commands} = read('oclif.manifest.json')
  const id = [`${args[0]}:${args[1]}`, args[0]].find((candidate) => Object.hasOwn(commands, candidate) && commands[candidate].pluginType === 'core')
  let loadOptions
  if (id && !args.some((a) => a === '--help' || a === '-h' || a === '--')) {
    const pjson = read('package.json')
    pjson.oclif.plugins = []
    loadOptions = await Config.load({pjson, root: new URL('..', import.meta.url).pathname})
  }
  await execute({dir: import.meta.url, loadOptions})
}

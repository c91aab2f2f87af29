#!/usr/bin/env node

// `exp --version` answers before oclif loads (loading @oclif/core is most of exp's start-up); the line is
// oclif's own user agent, `<package>/<version> <platform>-<arch> node-<version>` (test/cli/startup.test.ts checks it).
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}

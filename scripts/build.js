#!/usr/bin/env node
// The one build step (`npm run build` runs this, then `oclif manifest`): bundles src/ with esbuild into dist/.
//
// Why a bundle: every exp call pays Node's module loader, and unbundled that is ~700 files of @oclif/core and its
// dependencies resolved and read one by one. The bundle is one entry file (dist/index.js: @oclif/core, the shared
// code and every command class) plus chunks for what commands `await import()` when they need it (prompts, CSV,
// HTML, backends, ...), so start-up reads a handful of files.
//
// Commands are discovered explicitly (oclif's `explicit` strategy): the entry exports COMMANDS, an object of command
// ids to classes, generated here from the files under src/commands (`cron/install.ts` → `cron:install`). Adding a
// command is adding its file, as before.
import * as esbuild from 'esbuild'
import fg from 'fast-glob'
import {rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT = path.join(ROOT, 'dist')

const files = fg.sync('commands/**/*.ts', {cwd: path.join(ROOT, 'src')}).sort()
const ids = files.map((f) => f.replace(/^commands\//, '').replace(/\.ts$/, '').split('/').join(':'))
const index = [
  ...files.map((f, i) => `import C${i} from './${f.replace(/\.ts$/, '.js')}'`),
  `export const COMMANDS = {${ids.map((id, i) => `${JSON.stringify(id)}: C${i}`).join(', ')}}`,
  `export {Config, execute} from '@oclif/core'`,
].join('\n')

// Code written for CommonJS (most of @oclif/core) expects require, __filename and __dirname.
const banner = [
  `import {createRequire as __expCreateRequire} from 'node:module';`,
  `import {fileURLToPath as __expFileURLToPath} from 'node:url';`,
  `import {dirname as __expDirname} from 'node:path';`,
  `const require = __expCreateRequire(import.meta.url);`,
  `const __filename = __expFileURLToPath(import.meta.url);`,
  `const __dirname = __expDirname(__filename);`,
].join(' ')

rmSync(OUT, {force: true, recursive: true})
const result = await esbuild.build({
  banner: {js: banner},
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryNames: 'index',
  // loaded by @oclif/core only to run TypeScript sources in development, never from the bundle
  external: ['typescript', 'ts-node', 'tsx', 'tsx/*'],
  format: 'esm',
  keepNames: true,
  logLevel: 'warning',
  metafile: true,
  minifySyntax: true,
  minifyWhitespace: true,
  outdir: OUT,
  platform: 'node',
  sourcemap: 'linked',
  splitting: true,
  stdin: {contents: index, loader: 'ts', resolveDir: path.join(ROOT, 'src'), sourcefile: 'index.ts'},
  target: 'node20',
})
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'))
const entry = outputs.find(([f]) => f.endsWith('dist/index.js'))
if (process.env.EXP_BUILD_VERBOSE) {
  for (const [f, o] of outputs.sort((a, b) => b[1].bytes - a[1].bytes)) console.log(`${(o.bytes / 1024).toFixed(0).padStart(6)} KiB  ${path.relative(ROOT, f)}`)
}
console.log(`build: ${ids.length} commands, dist/index.js ${((entry?.[1].bytes ?? 0) / 1024).toFixed(0)} KiB + ${outputs.length - 1} chunks`)

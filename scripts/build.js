#!/usr/bin/env node
// The one build step (`npm run build` runs this, then `oclif manifest`): bundles src/ with esbuild into dist/.
//
// Why a bundle: every exp call pays Node's module loader, and unbundled that is ~700 files of @oclif/core and its
// dependencies resolved and read one by one. Bundled, a call reads its command's file and the few chunks it shares
// with others; what a command `await import()`s when it needs it (prompts, CSV, HTML, backends, ...) stays in chunks
// of its own, loaded only then. Adding a command is adding its file under src/commands, as before.
import * as esbuild from 'esbuild'
import fg from 'fast-glob'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {rechunkFastPath} from './rechunk-fast.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT = path.join(ROOT, 'dist')

const commands = fg.sync('src/commands/**/*.ts', {cwd: ROOT}).sort()
// oclif hooks (package.json oclif.hooks) are entries too: dist/hooks/<name>.js
const hooks = fg.sync('src/hooks/*.ts', {cwd: ROOT}).sort()
// Each command is an entry of its own (dist/commands/<id>.js, as oclif's manifest expects), so a call loads only its
// command's code; @oclif/core is an entry too (dist/oclif.js), shared with the commands, for bin/run.cjs.
const entryPoints = [
  ...[...commands, ...hooks].map((file) => ({
    in: path.join(ROOT, file),
    out: file.replace(/^src\//, '').replace(/\.ts$/, ''),
  })),
  {in: createRequire(import.meta.url).resolve('@oclif/core'), out: 'oclif'},
]

// Code written for CommonJS (most of @oclif/core) expects require, __filename and __dirname.
const banner = [
  `import {createRequire as __expCreateRequire} from 'node:module';`,
  `import {fileURLToPath as __expFileURLToPath} from 'node:url';`,
  `import {dirname as __expDirname} from 'node:path';`,
  `const require = __expCreateRequire(import.meta.url);`,
  `const __filename = __expFileURLToPath(import.meta.url);`,
  `const __dirname = __expDirname(__filename);`,
].join(' ')

// The build's identity: what exp caches (validated settings) is valid for this build only.
const hash = createHash('sha256')
for (const file of fg.sync(['src/**/*.ts', 'package-lock.json'], {cwd: ROOT}).sort())
  hash.update(file).update(readFileSync(path.join(ROOT, file)))
const buildId = hash.digest('hex').slice(0, 16)

/**
 * A CommonJS package exp loads only when it needs it (`await import('cli-progress')`) is left to Node, not bundled:
 * it costs nothing at start-up either way, and Node gives a CommonJS package's named exports (`const {SingleBar} = …`)
 * where a bundled chunk would give only `default`. An ES-module package (zod, execa) is bundled into a lazy chunk of
 * its own: left to Node, `await import('zod')` read ~100 files (every locale) and execa ~140, on every launch.
 */
const isEsmPackage = (name) => {
  const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]
  const file = path.join(ROOT, 'node_modules', pkg, 'package.json')
  return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).type === 'module'
}
/**
 * zod re-exports every locale (`z.locales`, ~400 KB of the 600 KB it bundles to), which exp never uses: its
 * messages are the English ones zod configures by importing locales/en.js itself. The namespace keeps only `en`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({filter: /^\.\.\/locales\/index\.js$/}, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? {namespace: 'zod-locales', path: path.join(path.dirname(args.importer), '../locales/en.js')}
        : undefined,
    )
    build.onLoad({filter: /.*/, namespace: 'zod-locales'}, (args) => ({
      contents: `export {default as en} from ${JSON.stringify(args.path)}`,
      resolveDir: path.dirname(args.path),
    }))
  },
}
const packagesImportedLaterStayPackages = {
  name: 'packages-imported-later-stay-packages',
  setup(build) {
    build.onResolve({filter: /^[^./]/}, (args) =>
      args.kind === 'dynamic-import' && !isEsmPackage(args.path) ? {external: true, path: args.path} : undefined,
    )
  },
}

/**
 * The start-up fast path (src/fastpath/): the hot commands bundled a second time into dist/fast/, with @oclif/core
 * replaced by src/fastpath/lite-core.ts, so a call runs the same command class without loading oclif. bin/run.cjs
 * takes it when dist/fast/commands/<id>.js exists and the arguments are plain; anything else goes through oclif.
 */
const FAST_COMMANDS = ['list', 'show', 'runs', 'graph/show', 'launch', 'report', 'archive']
/** where esbuild writes the fast build before scripts/rechunk-fast.js lays it out in dist/fast/ */
const FAST_STAGE = path.join(OUT, '.fast-stage')

rmSync(OUT, {force: true, recursive: true})
const options = {
  banner: {js: banner},
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  define: {'process.env.EXP_BUILD_ID': JSON.stringify(buildId)},
  entryPoints,
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
  plugins: [packagesImportedLaterStayPackages, zodEnglishOnly],
  sourcemap: 'linked',
  splitting: true,
  target: 'node20',
}
const result = await esbuild.build(options)
const fast = await esbuild.build({
  ...options,
  // rollup makes CommonJS of it (scripts/rechunk-fast.js), where require, __filename and __dirname are Node's own
  banner: {},
  alias: {'@oclif/core': path.join(ROOT, 'src/fastpath/lite-core.ts')},
  entryPoints: [
    ...FAST_COMMANDS.map((id) => ({in: path.join(ROOT, `src/commands/${id}.ts`), out: `commands/${id}`})),
    {in: path.join(ROOT, 'src/fastpath/run.ts'), out: 'run'},
    // `exp __complete` (shell completion, on every Tab): bin/run.cjs runs it before oclif loads
    {in: path.join(ROOT, 'src/completion/main.ts'), out: 'complete'},
  ],
  outdir: FAST_STAGE,
})
const outputs = Object.entries({...result.metafile.outputs, ...fast.metafile.outputs}).filter(([f]) =>
  f.endsWith('.js'),
)
// The banner only where it is used: a file that names none of require, __filename and __dirname (esbuild's
// __require helper, in the one chunk that defines it, looks up `require` there) is spared making a require function
// and parsing its own URL at every start-up (≈ 0.3 ms a file, and a call loads 15 to 45). The line stays, empty, so
// the source maps still match.
for (const [file] of outputs) {
  const text = readFileSync(path.join(ROOT, file), 'utf8')
  if (text.startsWith(banner) && !/\b(require|__filename|__dirname)\b/.test(text.slice(banner.length)))
    writeFileSync(path.join(ROOT, file), text.slice(banner.length))
}
if (process.env.EXP_BUILD_VERBOSE) {
  for (const [f, o] of outputs.sort((a, b) => b[1].bytes - a[1].bytes))
    console.log(`${(o.bytes / 1024).toFixed(0).padStart(6)} KiB  ${path.relative(ROOT, f)}`)
}
const fastFiles = await rechunkFastPath(fast.metafile, {
  eager: {
    'commands/launch': [
      'src/backends/local.ts',
      'src/workspace/recovery.ts',
      'src/launch/checkpoint-gate.ts',
      'src/backends/evaluation.ts',
    ],
  },
  from: FAST_STAGE,
  root: ROOT,
  to: path.join(OUT, 'fast'),
})
rmSync(FAST_STAGE, {force: true, recursive: true})
// V8's code cache for the fast path's files, installed by bin/run.cjs before it loads one: a file of its own,
// sharing no chunk (a chunk it required would be compiled before the cache is in place)
await esbuild.build({
  bundle: true,
  define: options.define,
  entryPoints: [path.join(ROOT, 'src/fastpath/code-cache.ts')],
  format: 'cjs',
  logLevel: 'warning',
  minifySyntax: true,
  outfile: path.join(OUT, 'fast', 'code-cache.cjs'),
  platform: 'node',
  sourcemap: 'linked',
  target: 'node20',
})
console.log(
  `build: ${commands.length} commands, ${outputs.length} files in dist/ (the fast path's ${fastFiles} files laid out again)`,
)

import {promises as fs, rmSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from './exp.js'

const bundles = new Map<string, Promise<string>>()

/**
 * A TypeScript helper script of test/support (and the src/ modules it imports) bundled once per test process into
 * one ES module with esbuild, so that each child process runs plain JavaScript instead of loading tsx and compiling
 * the import graph again (≈ 1 s of CPU a spawn on a loaded machine). Run it with `node FILE ARGS`.
 */
export function bundledScript(file: string): Promise<string> {
  let bundle = bundles.get(file)
  if (!bundle) {
    bundle = build(file)
    bundles.set(file, bundle)
  }
  return bundle
}

async function build(file: string): Promise<string> {
  const {build} = await import('esbuild')
  // inside the package (node_modules/.cache), as src/lib/package.ts finds the package root above the module
  const cache = path.join(ROOT, 'node_modules', '.cache')
  await fs.mkdir(cache, {recursive: true})
  const dir = await fs.mkdtemp(path.join(cache, 'exp-test-bundle-'))
  process.on('exit', () => rmSync(dir, {force: true, recursive: true}))
  const outfile = path.join(dir, `${path.basename(file, path.extname(file))}.mjs`)
  await build({
    absWorkingDir: ROOT,
    // CommonJS dependencies bundled into an ES module still call require()
    banner: {
      js: "import {createRequire as __expTestRequire} from 'node:module'; const require = __expTestRequire(import.meta.url);",
    },
    bundle: true,
    entryPoints: [file],
    format: 'esm',
    logLevel: 'error',
    outfile,
    platform: 'node',
    target: 'node20',
  })
  return outfile
}

// The fast path's layout (scripts/build.js calls this): esbuild's code splitting gives each set of entry points and
// lazy `await import()`s that share code a chunk of its own, so `exp launch` loaded 36 files of dist/ before its
// first engine and 3 more while it ran — and Node's module loader costs ≈ 0.45 ms per file (resolve, read,
// compile, link), more than the code itself. esbuild cannot merge chunks; rollup can, without copying a module
// twice (one ExpError class, one cache): the modules two or more fast commands load at start-up go into one chunk
// (start-shared), those one command loads alone into that command's (start-launch, start-show, …), and what loads
// later (backends, prompts, zod) stays in chunks of its own. The output is CommonJS (.cjs): bin/run.cjs requires it
// and compiles it with V8's code cache (src/fastpath/code-cache.ts), which Node 20's ES-module loader cannot use.
// A local `exp launch` reads 5 files of dist/ in all (the code cache's among them). The source maps still lead to
// src/ (rollup chains esbuild's maps).
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {rollup} from 'rollup'

/**
 * Lay out esbuild's fast build (a metafile and its files under `from`) again under `to`, entry names unchanged;
 * `eager` names, per entry (`commands/launch`), the sources of lazy imports to count as its start-up code.
 * Returns the number of JavaScript files written.
 */
export async function rechunkFastPath(metafile, {eager = {}, from, root, to}) {
  const abs = (file) => path.resolve(root, file)
  const outputs = Object.fromEntries(Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js')))
  // the build's own entry points (commands, run, complete): a lazy `await import()` has an entryPoint in the
  // metafile too, and stays a chunk of its own, which rollup finds from the import
  const entries = Object.entries(outputs).filter(
    ([file, o]) => o.entryPoint && !path.relative(from, abs(file)).startsWith(`chunks${path.sep}`),
  )
  const input = Object.fromEntries(
    entries.map(([file]) => [path.relative(from, abs(file)).replace(/\.js$/, ''), abs(file)]),
  )
  // which entries load each file before they run: the files an entry imports statically, and theirs
  const loadedBy = new Map()
  // the lazy modules a command always loads soon after it starts (`exp launch`: the local backend, the recovery
  // check under the lock, the checkpoint gate and the verdict) count as its start-up code
  const lazyFile = (source) => {
    const file = Object.keys(outputs).find((f) => outputs[f].entryPoint === source)
    if (!file)
      throw new Error(`rechunk: no lazy chunk of ${source} in the fast build (renamed, or imported statically?)`)
    return file
  }
  for (const [name, file] of Object.entries(input)) {
    const seen = new Set()
    const walk = (f) => {
      if (seen.has(f)) return
      seen.add(f)
      for (const i of outputs[path.relative(root, f)]?.imports ?? [])
        if (i.kind === 'import-statement' && !i.external) walk(abs(i.path))
    }
    walk(file)
    for (const source of eager[name] ?? []) walk(abs(lazyFile(source)))
    for (const f of seen) if (f !== file) loadedBy.set(f, [...(loadedBy.get(f) ?? []), name])
  }
  // a package's code (yaml, ansis) stays in a chunk of its own: merged into one command's start-up chunk, every
  // lazy user of the package (settings validation uses yaml) would load that command's code with it
  const packageOnly = (id) => {
    const inputs = Object.keys(outputs[path.relative(root, id)]?.inputs ?? {})
    return inputs.length > 0 && inputs.every((input) => input.includes('node_modules/'))
  }
  // a module that two or more commands load at start-up goes into one shared chunk, one that a single command loads
  // into that command's; run and complete (the runner, shell completion) take them from there
  const chunkOf = (id) => {
    if (packageOnly(id)) return undefined
    const commands = (loadedBy.get(id) ?? []).filter((name) => name.startsWith(`commands${path.sep}`))
    if (commands.length === 0) return undefined
    return commands.length === 1
      ? `start-${commands[0].slice('commands/'.length).replaceAll('/', '-')}`
      : 'start-shared'
  }
  const bundle = await rollup({
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
    input,
    onwarn(warning, warn) {
      // a cycle between chunks can run a module before one it needs: the build fails rather than ship that
      if (/CIRCULAR|CYCLIC/.test(warning.code ?? '')) throw new Error(`rollup: ${warning.message}`)
      // esbuild leaves an import it shook the use of (a name kept for its banner); anything else is worth seeing
      if (warning.code !== 'UNUSED_EXTERNAL_IMPORT') warn(warning)
    },
    plugins: [
      {
        // esbuild's own source map goes in, so the chunks' maps lead to src/
        load(id) {
          if (!id.endsWith('.js')) return null
          const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
          return {code, map: existsSync(`${id}.map`) ? readFileSync(`${id}.map`, 'utf8') : null}
        },
        name: 'esbuild-output',
      },
    ],
    // esbuild has shaken the tree already; rollup only moves code between files
    treeshake: false,
  })
  const {output} = await bundle.write({
    chunkFileNames: 'chunks/[name]-[hash].cjs',
    dir: to,
    // a lazy `await import()` becomes a require too: a file compiled with V8's code cache (src/fastpath/code-cache.ts)
    // has no way to import()
    dynamicImportInCjs: false,
    entryFileNames: '[name].cjs',
    exports: 'auto',
    format: 'cjs',
    manualChunks: chunkOf,
    sourcemap: true,
  })
  await bundle.close()
  const chunks = output.filter((o) => o.type === 'chunk')
  const importing = chunks.filter((chunk) => /\bimport\(/.test(chunk.code)).map((chunk) => chunk.fileName)
  if (importing.length > 0) throw new Error(`rechunk: import() left in ${importing.join(', ')}`)
  return chunks.length
}

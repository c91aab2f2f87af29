/**
 * V8's code cache for the fast path's files (dist/fast/, CommonJS): bin/run.cjs installs it before it loads one.
 * Node 20 compiles every file a call loads from its source, every time: for `exp launch`, compiling its four files
 * and then the functions it calls was ≈ 10 ms of a ≈ 120 ms overhead. Node 22 has `module.enableCompileCache` (used
 * when present); Node 20 has only vm.Script's cached data, which its CommonJS loader does not use — so this compiles
 * the fast path's files itself, with the data V8 produced for the same file at the end of an earlier call (then it
 * holds the functions that call compiled too, not only the top level).
 *
 * Where: <cache folder>/code/<build>-<arch>-v8-<version>/<file>@<device>-<inode>-<mtime>.bin (the cache folder:
 * src/lib/cache-dir.ts; EXP_CACHE_DIR empty turns it off). The name holds the compiled file's identity because V8
 * checks only the length of the source it is given: another checkout of the same sources (same build id) lays out
 * chunks of other names, and a file of the same name and length there once ran this checkout's code. Never a
 * source of truth: data that V8 refuses (another V8, other flags, another length) or that is missing means
 * compiling from source as Node would, and writing the file again at exit (the older versions of that file go);
 * a cache that cannot be read or written only costs the time. A new build's folder replaces the oldest when there
 * are more than KEEP_BUILDS.
 */
import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import Module from 'node:module'
import path from 'node:path'
import vm from 'node:vm'

import {userCacheDir, writeCacheFile} from '../lib/cache-dir.js'

/** builds whose caches stay (two checkouts used in turn both keep theirs) */
const KEEP_BUILDS = 4

type Compile = (this: Module, content: string, filename: string) => unknown
type Wrapper = (exports: unknown, require: NodeJS.Require, module: Module, file: string, dir: string) => unknown

/** Compile the files under `fastDir` with V8's code cache from now on (a no-op without a build id or a cache folder). */
export function useCodeCache(fastDir: string): void {
  const build = process.env.EXP_BUILD_ID
  const base = userCacheDir()
  if (!build || !base) return
  const root = path.join(base, 'code')
  const dir = path.join(root, `${build}-${process.arch}-v8-${process.versions.v8}`)
  const native = (Module as unknown as {enableCompileCache?: (dir: string) => unknown}).enableCompileCache
  if (native) {
    native(dir)
    return
  }
  const unsaved: {file: string; script: vm.Script}[] = []
  const prototype = Module.prototype as unknown as {_compile: Compile}
  const compile = prototype._compile
  prototype._compile = function (content, filename) {
    if (!filename.startsWith(fastDir)) return compile.call(this, content, filename)
    const name = cacheName(fastDir, filename)
    const file = name === undefined ? undefined : path.join(dir, name)
    const cachedData = file === undefined ? undefined : readCache(file)
    const script = new vm.Script(Module.wrap(content), {cachedData, filename})
    if (file !== undefined && (!cachedData || script.cachedDataRejected)) unsaved.push({file, script})
    const wrapper = script.runInThisContext() as Wrapper
    return wrapper.call(
      this.exports,
      this.exports,
      Module.createRequire(filename),
      this,
      filename,
      path.dirname(filename),
    )
  }
  process.once('exit', () => {
    if (unsaved.length === 0) return
    for (const {file, script} of unsaved) writeCacheFile(file, script.createCachedData())
    pruneVersions(dir, new Set(unsaved.map(({file}) => path.basename(file))))
    pruneBuilds(root)
  })
}

/** `commands+list.cjs@<device>-<inode>-<mtime ns>.bin`; undefined when the file cannot be looked at */
function cacheName(fastDir: string, filename: string): string | undefined {
  try {
    const stat = statSync(filename, {bigint: true})
    return `${path.relative(fastDir, filename).replaceAll(path.sep, '+')}@${stat.dev}-${stat.ino}-${stat.mtimeNs}.bin`
  } catch {
    return undefined
  }
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/** The other versions of the files just written (a rebuild, another checkout of the same sources) go. */
function pruneVersions(dir: string, written: Set<string>): void {
  const files = new Set([...written].map((name) => name.slice(0, name.indexOf('@') + 1)))
  try {
    for (const name of readdirSync(dir))
      if (!written.has(name) && files.has(name.slice(0, name.indexOf('@') + 1)))
        rmSync(path.join(dir, name), {force: true})
  } catch {
    // the folder went (another exp pruning builds): nothing to keep tidy
  }
}

/** Keep the KEEP_BUILDS folders written last (a folder's time changes when a file of it is written). */
function pruneBuilds(root: string): void {
  try {
    const builds = readdirSync(root)
      .map((name) => ({name, time: statSync(path.join(root, name)).mtimeMs}))
      .sort((a, b) => b.time - a.time)
    for (const {name} of builds.slice(KEEP_BUILDS)) rmSync(path.join(root, name), {force: true, recursive: true})
  } catch {
    // another exp pruning at the same time, or a folder that went: the next first call of a build tries again
  }
}

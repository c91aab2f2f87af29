#!/usr/bin/env node
// Development entry point: bundles src/ again (esbuild, well under a second when little changed: no type-check —
// `npm run lint` does that) and runs the result with full stack traces. Users run bin/run.cjs, the `exp` binary.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], {
  stdio: ['ignore', 'ignore', 'inherit'],
})
if (build.status !== 0) process.exit(build.status ?? 1)

const {execute} = (await import('../dist/oclif.js')).default
await execute({development: true, dir: import.meta.url})

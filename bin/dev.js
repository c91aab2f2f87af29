#!/usr/bin/env node
// Development entry point: compiles src/ (incrementally, a second or two when little changed) and runs the result
// with oclif's development settings (full stack traces). Users run bin/run.js, the `exp` binary.
import {spawnSync} from 'node:child_process'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', path.join(root, 'dist', '.tsbuildinfo')], {stdio: 'inherit'})
if (build.status !== 0) process.exit(build.status ?? 1)

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})

#!/usr/bin/env node
// The main job on the embedded default: a scratch workspace, a few experiments with different configs,
// listed with their statuses. Runs the built exp exactly as a user would.
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
const ws = mkdtempSync(path.join(os.tmpdir(), 'exp-demo-'))
const exp = (...args) => {
  console.log(`\n$ exp ${args.join(' ')}`)
  execFileSync(process.execPath, [bin, ...args], {cwd: ws, stdio: 'inherit'})
}

exp('init', '.')
exp('new', 'golden', '--hypothesis', 'The golden config passes the 0.1 NRMSE gate')
exp('new', 'tiny-latent', '--set', 'model.latent_dim=2', '--hypothesis', 'Two modes are too few')
exp('new', 'wide-latent', '--set', 'model.latent_dim=24', '--hypothesis', 'More modes lower the NRMSE')
exp('list')
console.log(`\nDemo workspace: ${ws}`)

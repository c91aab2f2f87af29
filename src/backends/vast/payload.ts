import {promises as fs} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ExpError, messageOf} from '../../errors.js'
import {writeFileAtomic} from '../../lib/atomic.js'
import {sha256File} from '../../lib/hash.js'

/**
 * The payload: everything the instance needs, in one gzipped tar that exp uploads with `vastai copy` — so an
 * experiment never needs a git remote, and nothing from this machine is fetched by the instance itself.
 *
 *   job.sh          the job script (scripts.ts)
 *   experiment/     the embedded engine: config.yaml only; user engines: the experiment folder without runs/,
 *                   checkpoints/ and reports/ (their code and data travel with it)
 *   engine/         the embedded engine's *.py, when a template names {engine_dir}
 *   checkpoint/     an earlier run's checkpoint, when evaluate runs without train
 */
export const PAYLOAD_DIR = 'payload'
export const PAYLOAD_FILE = 'payload.tar.gz'

/** Top-level folders of an experiment that never travel: results of earlier runs and other bulky outputs. */
const LEFT_HOME = new Set(['runs', 'checkpoints', 'reports'])

export interface PayloadInput {
  /** where payload/payload.tar.gz is written */
  runDir: string
  experimentDir: string
  jobScript: string
  /** ship the whole experiment folder (user engines) or only its config.yaml (embedded engine) */
  wholeExperiment: boolean
  /** the embedded engine's folder, when a template names {engine_dir} */
  engineDir?: string
  /** an earlier run's checkpoint folder (evaluate-only launches) */
  checkpointDir?: string
}

export interface Payload {
  file: string
  sha256: string
  bytes: number
}

export async function buildPayload(input: PayloadInput): Promise<Payload> {
  // staged outside the experiment: fs.cp refuses to copy a folder into itself (the run folder is inside it)
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-payload-'))
  const dir = path.join(input.runDir, PAYLOAD_DIR)
  const file = path.join(dir, PAYLOAD_FILE)
  try {
    await fs.writeFile(path.join(staging, 'job.sh'), input.jobScript, {mode: 0o755})
    const experiment = path.join(staging, 'experiment')
    if (input.wholeExperiment) {
      await fs.cp(input.experimentDir, experiment, {
        filter: (src) => {
          const rel = path.relative(input.experimentDir, src)
          const top = rel.split(path.sep)[0]
          return !LEFT_HOME.has(top)
        },
        recursive: true,
      })
    } else {
      await fs.mkdir(experiment)
      await fs.copyFile(path.join(input.experimentDir, 'config.yaml'), path.join(experiment, 'config.yaml'))
    }
    const parts = ['job.sh', 'experiment']
    if (input.engineDir) {
      await fs.mkdir(path.join(staging, 'engine'))
      for (const name of await fs.readdir(input.engineDir)) {
        if (name.endsWith('.py'))
          await fs.copyFile(path.join(input.engineDir, name), path.join(staging, 'engine', name))
      }
      parts.push('engine')
    }
    if (input.checkpointDir) {
      await fs.cp(input.checkpointDir, path.join(staging, 'checkpoint'), {recursive: true})
      parts.push('checkpoint')
    }
    await fs.mkdir(dir, {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    const {execa} = await import('execa')
    const result = await execa('tar', ['-czf', tmp, '-C', staging, ...parts], {reject: false})
    if (result.exitCode !== 0) {
      await fs.rm(tmp, {force: true})
      throw new ExpError(
        `could not pack the payload for vast.ai: ${String(result.stderr).trim().split('\n').at(-1) ?? `tar exited ${result.exitCode}`}`,
      )
    }
    await fs.rename(tmp, file)
  } catch (error) {
    if (error instanceof ExpError) throw error
    throw new ExpError(`could not build the payload for vast.ai: ${messageOf(error)}`)
  } finally {
    await fs.rm(staging, {force: true, recursive: true})
  }
  const stat = await fs.stat(file)
  return {bytes: stat.size, file, sha256: await sha256File(file)}
}

/** Write a generated script next to the run record (atomically, executable). */
export async function writeScript(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, 0o755)
}

import {EXIT, ExpError, messageOf} from '../errors.js'
import type {BackendName} from '../runs/record.js'
import type {Backend} from './backend.js'

/** Backends are imported only when a command needs one, so start-up never pays for them. */
export async function loadBackend(name: BackendName): Promise<Backend> {
  switch (name) {
    case 'local': {
      return (await import('./local.js')).localBackend as Backend
    }

    case 'slurm': {
      return (await import('./slurm.js')).slurmBackend
    }

    case 'vast': {
      return (await import('./vast.js')).vastBackend
    }

    default: {
      throw new Error(`unknown backend ${name as string}`)
    }
  }
}

/** Load a backend, turning "not in this build" into one clear line. */
export async function backendFor(name: BackendName): Promise<Backend> {
  try {
    return await loadBackend(name)
  } catch (error) {
    throw new ExpError(`the ${name} backend is not available: ${messageOf(error)}.`, {
      code: 'NO_BACKEND',
      exit: EXIT.usage,
    })
  }
}

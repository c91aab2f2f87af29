import {existsSync} from 'node:fs'
import path from 'node:path'

import {ExpError} from '../errors.js'
import {type LockOptions, withLock} from '../lib/lock.js'
import type {Settings} from './settings.js'
import type {Workspace} from './types.js'
import {loadSettings} from './settings-cache.js'

export const WORKSPACE_FILE = 'exp.yaml'
export const STATE_DIR = '.exp'

export type {Workspace} from './types.js'

/** The nearest ancestor of `start` holding exp.yaml. */
export function findWorkspaceRoot(start: string): string | undefined {
  let dir = path.resolve(start)
  for (;;) {
    if (existsSync(path.join(dir, WORKSPACE_FILE))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export interface OpenOptions {
  /** --root / EXP_ROOT; otherwise the search starts at cwd. */
  root?: string
  cwd?: string
}

export async function openWorkspace(options: OpenOptions = {}): Promise<Workspace> {
  const cwd = options.cwd ?? process.cwd()
  let root: string | undefined
  if (options.root) {
    root = path.resolve(cwd, options.root)
    if (!existsSync(path.join(root, WORKSPACE_FILE))) {
      throw new ExpError(`${root} is not an exp workspace (no ${WORKSPACE_FILE}).`, {
        code: 'NO_WORKSPACE',
        suggestion: `exp init ${root}`,
      })
    }
  } else {
    root = findWorkspaceRoot(cwd)
    if (!root) {
      throw new ExpError(`not inside an exp workspace (no ${WORKSPACE_FILE} in ${cwd} or its parents).`, {
        code: 'NO_WORKSPACE',
        suggestion: 'exp init',
      })
    }
  }
  const ws = workspaceAt(root, await loadSettings(path.join(root, WORKSPACE_FILE)))
  checkPathsApart(ws)
  return ws
}

/** paths.* must not be one another or inside one another (the archive inside experiments/ would move into itself). */
function checkPathsApart(ws: Workspace): void {
  const entries = (['experiments', 'archive', 'configs', 'reports'] as const).map((key) => ({key, p: ws.paths[key]}))
  for (const a of entries) {
    for (const b of entries) {
      if (a.key < b.key && (a.p === b.p || a.p.startsWith(b.p + path.sep) || b.p.startsWith(a.p + path.sep))) {
        throw new ExpError(
          `invalid ${ws.file}: "paths.${a.key}" (${ws.settings.paths[a.key]}) and "paths.${b.key}" (${ws.settings.paths[b.key]}) overlap; each must be a folder of its own.`,
          {
            code: 'INVALID_SETTINGS',
          },
        )
      }
    }
  }
}

export function workspaceAt(root: string, settings: Settings): Workspace {
  const state = path.join(root, STATE_DIR)
  const at = (p: string) => path.resolve(root, p)
  return {
    file: path.join(root, WORKSPACE_FILE),
    paths: {
      archive: at(settings.paths.archive),
      configs: at(settings.paths.configs),
      experiments: at(settings.paths.experiments),
      journal: path.join(state, 'journal'),
      lock: path.join(state, 'lock'),
      reports: at(settings.paths.reports),
      state,
    },
    root,
    settings,
  }
}

/** A `.` or `..` segment, an empty one, a leading or trailing separator: what path.relative would normalize away. */
const UNNORMALIZED = /^\/|\/\/|\/$|(^|\/)\.\.?(\/|$)/

/** Workspace-relative path for messages and records (portable when the workspace moves). */
export function relativeToRoot(ws: Workspace, p: string): string {
  // most paths are normalized ones under the root: the rest of the string is path.relative's answer, without
  // resolving both paths (exp report --all asks a few times for each page it builds)
  const rest = path.sep === '/' && p.startsWith(ws.root + '/') ? p.slice(ws.root.length + 1) : undefined
  const rel = rest !== undefined && !UNNORMALIZED.test(rest) ? rest : path.relative(ws.root, p)
  return rel.startsWith('..') ? p : rel
}

/**
 * Run a mutating step holding the workspace lock. Every mutating command goes through here, so recovery of an
 * interrupted step (the journal) runs first, under the same lock; `fn` receives one line per step recovered.
 */
export async function withWorkspaceLock<T>(
  ws: Workspace,
  fn: (recovered: string[]) => Promise<T>,
  options?: LockOptions,
): Promise<T> {
  // the recovery module loads while the lock is being taken, not after
  const recovery = import('./recovery.js')
  recovery.catch(() => {}) // awaited under the lock; a lock never taken leaves it unawaited
  return withLock(
    ws.paths.lock,
    async () => {
      const {recoverInterrupted} = await recovery
      return fn(await recoverInterrupted(ws))
    },
    options,
  )
}

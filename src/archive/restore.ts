import path from 'node:path'

import {ExpError, isExpError} from '../errors.js'
import {listExperimentNames, resolveName} from '../experiments/resolve.js'
import {METADATA_FILE} from '../experiments/scan.js'
import type {Clock} from '../lib/time.js'
import {relativeToRoot, withWorkspaceLock, type Workspace} from '../workspace/workspace.js'
import {readOwnMetadata} from './record.js'
import {exists, type ExperimentMove, type MoveHooks, moveExperiment, moveId, siblingsOf, writeStaged} from './move.js'

export interface RestoreOptions {
  name: string
  now: Clock
  dryRun?: boolean
  hooks?: MoveHooks
}

export interface RestoreResult {
  name: string
  from: string
  to: string
  dry_run: boolean
  /** what the archive record said when it was archived (null when it has none) */
  archived: {status: unknown; reason: unknown; archived_at: unknown} | null
  restored_at: string | null
  recovered: string[]
}

/** Which archived experiment a name means, and where it goes; errors name what is wrong. */
async function planRestore(ws: Workspace, query: string): Promise<{name: string; src: string; dst: string}> {
  let name: string
  try {
    name = resolveName(await listExperimentNames(ws, 'archive'), query, 'archived experiment').name
  } catch (error) {
    if (isExpError(error) && error.code === 'NOT_FOUND') {
      const active = (await listExperimentNames(ws, 'experiments')).find((c) => c.name === query)
      if (active)
        throw new ExpError(
          `"${query}" is not archived: it is in ${relativeToRoot(ws, ws.paths.experiments)}/ already.`,
          {code: 'NOT_ARCHIVED'},
        )
      throw new ExpError(`no archived experiment named "${query}".`, {
        code: 'NOT_FOUND',
        suggestion: 'exp list --archived',
      })
    }
    throw error
  }
  const src = path.join(ws.paths.archive, name)
  const dst = path.join(ws.paths.experiments, name)
  if (await exists(dst)) {
    throw new ExpError(`${relativeToRoot(ws, dst)} already exists; restore never overwrites it.`, {
      code: 'EXISTS',
      suggestion: `rename or archive ${relativeToRoot(ws, dst)} first.`,
    })
  }
  return {dst, name, src}
}

/**
 * Move an archived experiment back to experiments/ (the same journaled move as archiving). Its archive record stays
 * in metadata.json as history, with `restored_at` added — which also makes it recently changed, so the weekly job
 * does not archive it again at once.
 */
export async function restoreExperiment(ws: Workspace, options: RestoreOptions): Promise<RestoreResult> {
  const describe = async (src: string) => {
    const {value} = await readOwnMetadata(src)
    const record = value?.archive as Record<string, unknown> | undefined
    return record && typeof record === 'object'
      ? {archived_at: record.archived_at, reason: record.reason, status: record.status}
      : null
  }
  if (options.dryRun) {
    const {dst, name, src} = await planRestore(ws, options.name)
    return {
      archived: await describe(src),
      dry_run: true,
      from: relativeToRoot(ws, src),
      name,
      recovered: [],
      restored_at: null,
      to: relativeToRoot(ws, dst),
    }
  }
  return withWorkspaceLock(ws, async (recovered) => {
    const {dst, name, src} = await planRestore(ws, options.name)
    const own = await readOwnMetadata(src)
    const archived = await describe(src)
    const restoredAt = options.now().toISOString()
    const record = own.value?.archive
    const rewrite = own.value !== undefined && record !== null && typeof record === 'object' && !Array.isArray(record)
    const entry: ExperimentMove = {
      copy: relativeToRoot(ws, siblingsOf(dst).copy),
      staging: relativeToRoot(ws, siblingsOf(dst).staging),
      dst: relativeToRoot(ws, dst),
      id: moveId(name),
      name,
      op: 'restore',
      phase: 'move',
      pid: process.pid,
      schema: 1,
      src: relativeToRoot(ws, src),
      staged: rewrite ? [{from: METADATA_FILE, replace: true, to: METADATA_FILE}] : [],
      started_at: restoredAt,
    }
    await moveExperiment(
      ws,
      entry,
      async (place) => {
        if (rewrite)
          await writeStaged(
            place(METADATA_FILE),
            JSON.stringify({...own.value, archive: {...(record as object), restored_at: restoredAt}}, null, 2) + '\n',
          )
      },
      options.hooks,
    )
    return {archived, dry_run: false, from: entry.src, name, recovered, restored_at: restoredAt, to: entry.dst}
  })
}

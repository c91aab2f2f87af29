import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import {messageOf} from '../../errors.js'
import {type RunRecord, runDir} from '../../runs/record.js'
import {isAuthError, log, REMOTE_LOCAL_DIR, type Step} from './common.js'
import {GROUP_FILE, shareFromTimes} from './group.js'
import {PAYLOAD_DIR} from './payload.js'
import {currentAttempt, parseMarker, type VastAttempt, vastData} from './state.js'

// Files to and from a vast.ai instance: the payload up, the exit marker and the stages' codes home.
const UPLOAD_TIMEOUT_MS = 30 * 60_000
const MARKER_TIMEOUT_MS = 5 * 60_000

/** Upload the payload folder into the run's folder on the instance. vastai copy exits 0 even when rsync failed. */
export async function upload(step: Step, cur: VastAttempt): Promise<RunRecord> {
  const {cli, context, experimentDir, record} = step
  const data = vastData(record)
  const rdir = runDir(experimentDir, record.run_id)
  const id = cur.instance_id!
  const now = () => context.now()
  // a sweep's shared instance gets the group's payload, once for all its variants (see groupUploadedAt)
  const [from, to] = cur.shared
    ? [path.resolve(experimentDir, cur.shared.dir), cur.shared.remote_dir]
    : [rdir, data.remote_dir]
  try {
    const result = await cli.copy(PAYLOAD_DIR, `${id}:${to}/`, from, UPLOAD_TIMEOUT_MS)
    if (result.rsyncError) {
      cur.upload_error = result.rsyncError
      context.log(`vast.ai: uploading the payload to instance ${id} failed (${result.rsyncError}); will try again`)
      await log(
        experimentDir,
        record.run_id,
        {
          action: 'upload',
          description: `payload to instance ${id}`,
          details: result.rsyncError,
          result: 'failed, will retry',
        },
        now(),
      )
      return record
    }
  } catch (error) {
    if (isAuthError(error)) throw error
    cur.upload_error = messageOf(error)
    context.log(`vast.ai: uploading the payload to instance ${id} failed (${cur.upload_error}); will try again`)
    return record
  }
  delete cur.upload_error
  cur.uploaded_at = now().toISOString()
  context.log(`vast.ai: payload uploaded to instance ${id}; the job starts once its sha256 matches`)
  await log(
    experimentDir,
    record.run_id,
    {
      action: 'upload',
      description: `payload (${data.payload.bytes} bytes, sha256 ${data.payload.sha256}) to instance ${id}:${to}/${PAYLOAD_DIR}/`,
      result: 'uploaded',
    },
    now(),
  )
  return record
}

export interface MarkerResult {
  found?: {code: number; reason?: string}
  stageCodes: Record<string, number | undefined>
  /** the marker is positively absent on the instance (rsync: no such file) */
  missing: boolean
  error?: string
}

/** Copy only `out/status/` (a few bytes) home to read the exit marker and the stages' codes. */
export async function fetchMarker(step: Step, id: number): Promise<MarkerResult> {
  const {cli, experimentDir, record} = step
  const data = vastData(record)
  const rdir = runDir(experimentDir, record.run_id)
  const local = path.join(rdir, REMOTE_LOCAL_DIR, 'status')
  await fs.rm(local, {force: true, recursive: true})
  await fs.mkdir(path.dirname(local), {recursive: true})
  let copied
  try {
    copied = await cli.copy(
      `${id}:${data.remote_dir}/out/status/`,
      `${REMOTE_LOCAL_DIR}/status/`,
      rdir,
      MARKER_TIMEOUT_MS,
    )
  } catch (error) {
    if (isAuthError(error)) throw error
    return {error: messageOf(error), missing: false, stageCodes: {}}
  }
  const read = async (name: string) => fs.readFile(path.join(local, name), 'utf8').catch(() => undefined)
  const markerText = await read('exp-exit')
  const found = markerText === undefined ? undefined : parseMarker(markerText)
  const cur = currentAttempt(data)
  const times = cur?.shared ? await read(GROUP_FILE) : undefined
  if (cur?.shared && times !== undefined)
    Object.assign(cur.shared, {done: true, share: shareFromTimes(times, record.run_id, cur.shared.runs.length)})
  const stageCodes: Record<string, number | undefined> = {}
  for (const s of record.stages) {
    const text = await read(`${s.name}.exit`)
    stageCodes[s.name] = text !== undefined && /^\s*-?\d+\s*$/.test(text) ? Number(text.trim()) : undefined
  }
  return {
    error: copied.rsyncError,
    found,
    missing: !found && (copied.missing || (markerText === undefined && existsSync(local) && !copied.rsyncError)),
    stageCodes,
  }
}

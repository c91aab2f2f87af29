import {lossPoints} from './loss-points.js'

/**
 * What building the pages of the experiments without a page reads besides the scan, read by the page writer thread
 * (page-thread.ts) as soon as it starts, while the main thread scans (the thread has nothing to write until then):
 * each config.yaml, whether checkpoints/ holds a folder, and the loss curve of every runs/<id>/metrics.jsonl, parsed
 * by lossPoints, the function the main thread uses (its source text runs in the thread), so a page is the same bytes
 * whichever thread read it; the main thread reads whatever is not here itself. The thread does not draw the curves:
 * sending the drawn polylines back cost the main thread about as much as drawing them (measured).
 */
export interface ReadAhead {
  /** flat (step, loss) loss curves by run folder */
  curves: Map<string, Float64Array>
  /** config.yaml's text by file */
  configs: Map<string, string>
  /** experiment folders whose checkpoints/ holds no folder (or that have none) */
  noCheckpoints: Set<string>
}

export interface AheadMessage {
  runDirs: string[]
  curves: Float64Array[]
  configFiles: string[]
  configs: string[]
  bare: string[]
}

/** The read-ahead as maps (an empty one when the thread sent none). */
export function readAheadOf(m?: AheadMessage): ReadAhead {
  return {
    configs: new Map(m?.configFiles.map((f, i) => [f, m.configs[i]])),
    curves: new Map(m?.runDirs.map((d, i) => [d, m.curves[i]])),
    noCheckpoints: new Set(m?.bare),
  }
}

/**
 * The thread's side, in the writer thread's script (which has fs, path, parentPort, failure, report and workerData's
 * aheadDirs, configFile, metricsFile). What cannot be read is left out (the main thread reads it, and meets
 * the error, itself), except a run folder's metrics.jsonl: one that cannot be read is no curve there, an empty one.
 */
export const READ_AHEAD_SOURCE = `
const lossPoints = ${lossPoints.toString()}
function readAhead() {
  const m = {runDirs: [], curves: [], configFiles: [], configs: [], bare: []}
  try {
    for (const d of aheadDirs) {
      try {
        const file = path.join(d, configFile)
        m.configs.push(fs.readFileSync(file, 'utf8'))
        m.configFiles.push(file)
      } catch {}
      let folders = false
      try {
        folders = fs.readdirSync(path.join(d, 'checkpoints'), {withFileTypes: true}).some((e) => e.isDirectory() && !e.name.startsWith('.'))
      } catch {}
      if (!folders) m.bare.push(d)
      let ids
      try { ids = fs.readdirSync(path.join(d, 'runs')) } catch { continue }
      for (const id of ids) {
        const runDir = path.join(d, 'runs', id)
        let text = ''
        try { text = fs.readFileSync(path.join(runDir, metricsFile), 'utf8') } catch {}
        m.runDirs.push(runDir)
        m.curves.push(Float64Array.from(text ? lossPoints(text) : []))
      }
    }
  } catch (error) {
    failure = failure || error
    report()
  }
  parentPort.postMessage({ahead: m}, m.curves.map((c) => c.buffer))
}
`

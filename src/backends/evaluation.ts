import path from 'node:path'

import {applyGates, describeCheck} from '../reports/gates.js'
import type {RunRecord} from '../runs/record.js'
import type {Settings} from '../workspace/settings.js'
import {stageReport} from '../launch/engines.js'
import type {LaunchLogEntry} from '../launch/launch-log.js'

export interface EvaluationOutcome {
  /** the launch.log entry that says how the report was judged */
  entry: LaunchLogEntry
  /** a line for the person watching, when exp decided something they should see */
  line?: string
  /** set when the evaluate stage must fail although its engine exited 0 */
  failure?: string
}

/**
 * The ONE evaluation-outcome step every backend runs after an evaluate stage completed (local at once, SLURM when
 * refresh sees the job end, vast when collect brings the report home), so the gates never drift apart:
 * the engine's own `gates_passed` stands; without one, exp decides it from exp.yaml gates and records it in the
 * report; a missing or unreadable report fails the stage only when the command was given the report path to write.
 */
export async function judgeEvaluation(
  experimentDir: string,
  record: RunRecord,
  stageIndex: number,
  gates: Settings['gates'],
  now: Date,
): Promise<EvaluationOutcome | undefined> {
  const stage = record.stages[stageIndex]
  const report = stageReport(record, stage.name)
  if (!report) return undefined
  const outcome = await applyGates(path.join(experimentDir, report), gates, now)
  if (outcome.decided_by === 'engine') {
    return {
      entry: {
        action: 'report',
        description: `${report} written by the engine`,
        result: `gates_passed: ${String(outcome.passed)}`,
      },
    }
  }
  if (outcome.decided_by === 'exp') {
    const details = outcome.checks.map((c) => describeCheck(c))
    return {
      entry: {
        action: 'gates',
        description: `exp decided the gates of ${report} (the report had no gates_passed)`,
        details,
        result: `gates_passed: ${outcome.passed} (recorded in the report under "${outcome.field}")`,
      },
      line: `gates: ${report} had no gates_passed; exp decided it from exp.yaml gates: ${details.join('; ')} → gates_passed ${outcome.passed}`,
    }
  }
  const named = stage.command.some((a) => a.includes(report))
  if (outcome.report !== 'ok' && named) {
    const failure = `exited 0 but ${outcome.reason} (${report})`
    return {
      entry: {
        action: 'report',
        description: `no usable report at ${report}`,
        details: outcome.reason,
        result: `${stage.name} failed`,
      },
      failure,
      line: `${stage.name}: failed: ${failure}`,
    }
  }
  return {
    entry: {action: 'report', description: `${report}: no verdict`, details: outcome.reason, result: 'no gates_passed'},
  }
}

import {promises as fs} from 'node:fs'

import type {z as Z} from 'zod'

import {ExpError} from '../errors.js'
import {writeJsonAtomic} from '../lib/atomic.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {issueLine} from './issue.js'

/*
 * A report (reports/<run-id>.json, reports/<run-id>/<eval>.json), as far as exp knows it: the evaluation engine
 * owns the file, so only the fields exp reads or writes have a schema (the experiment and run it judges, its time,
 * the metric values, the verdict and the gates that decided it, errors). Every other field is the engine's and is
 * written back exactly as read (same keys, same values, same order). The scan keeps its quick reader
 * (reports/report.ts `parseReport`); the schema is loaded when a service reads a report to act on it or writes one.
 */

/** The schema of a report's known fields, built from the zod module `z`. */
function schemaOf(z: typeof Z) {
  const check = z.looseObject({metric: z.string(), value: z.number().nullable(), passed: z.boolean()})
  const expGates = z.looseObject({checks: z.array(check), decided_at: z.string(), decided_by: z.literal('exp')})
  const errors = z.union([z.array(z.unknown()), z.string(), z.boolean(), z.null()])
  return z.looseObject({
    experiment: z.string().optional(),
    run_id: z.string().optional(),
    created_at: z.string().optional(),
    timestamp: z.string().optional(),
    metrics: z.record(z.string(), z.number().nullable()).optional(),
    gates_passed: z.boolean().optional(),
    // the engine's own gates are its business (any value); exp's record of how it decided (exp_gates) has a fixed shape
    gates: z.unknown().optional(),
    exp_gates: expGates.optional(),
    errors: errors.optional(),
    error: errors.optional(),
  })
}

export type ReportData = Z.infer<ReturnType<typeof schemaOf>>

let schema: ReturnType<typeof schemaOf> | undefined

/** What is wrong with a report's known fields (`field problem`), or undefined. Loads zod on first use. */
export async function reportProblem(value: unknown): Promise<string | undefined> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object'
  schema ??= schemaOf((await import('zod')).z)
  const result = schema.safeParse(value)
  return result.success ? undefined : issueLine(result.error.issues, value)
}

/** A report read and checked: an invalid one is one ExpError line naming the file and the field. */
export async function readReport(file: string, label = file): Promise<ReportData> {
  let value: unknown
  try {
    value = parseJsonBounded(await fs.readFile(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw error
    throw new ExpError(`${label}: not valid JSON; report not used.`, {code: 'INVALID_REPORT'})
  }
  const problem = await reportProblem(value)
  if (problem) throw new ExpError(`${label}: ${problem}; report not used.`, {code: 'INVALID_REPORT'})
  return value as ReportData // the value as read (checked above): its keys keep their order when written back
}

/** Write a report atomically after checking it: every field is kept as given; a report that fails is refused, nothing written. */
export async function writeReport(file: string, data: ReportData, label = file): Promise<void> {
  const problem = await reportProblem(data)
  if (problem) throw new ExpError(`refusing to write ${label}: ${problem}.`, {code: 'INVALID_REPORT'})
  await writeJsonAtomic(file, data)
}

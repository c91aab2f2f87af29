import type {z as Z} from 'zod'

/*
 * One zod issue as the one line exp shows for a record that fails its schema: the field's path and what is wrong
 * with it (`backend_data.jobs.train.id is not a string`). Shared by the record modules (metadata, run, report).
 */

const ARTICLE: Record<string, string> = {
  array: 'a list',
  boolean: 'true or false',
  number: 'a number',
  object: 'an object',
  record: 'an object',
  string: 'a string',
}

/** The path of an issue as written in a record (`stages[0].state`, `backend_data.jobs.train.id`). */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('')
}

/** What is wrong with the field, in words (`is not a string`, `"gpu" is not one of local, slurm, vast`). */
export function problemOf(issue: Z.core.$ZodIssue, value: unknown): string {
  const found = issue.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    value,
  )
  const shown = found === undefined ? 'is missing' : `${JSON.stringify(found)?.slice(0, 60)}`
  if (issue.code === 'invalid_type')
    return found === undefined ? 'is missing' : `${shown} is not ${ARTICLE[issue.expected] ?? issue.expected}`
  if (issue.code === 'invalid_value') return `${shown} is not one of ${issue.values.map((v) => String(v)).join(', ')}`
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options))
    return `${shown} is not one of ${issue.options.join(', ')}`
  return `${shown} ${issue.message}`
}

/** The first issue of a failed parse as `field problem`, or undefined when `issues` is empty. */
export function issueLine(issues: readonly Z.core.$ZodIssue[], value: unknown): string | undefined {
  const issue = issues[0]
  if (!issue) return undefined
  const field = fieldOf(issue.path)
  return field === '' ? problemOf(issue, value) : `${field} ${problemOf(issue, value)}`
}

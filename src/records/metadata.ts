import type {z as Z} from 'zod'

import {EXIT, ExpError} from '../errors.js'
import {parseJsonBounded} from '../lib/bounded-json.js'
import {readIfExists} from '../lib/read-if-exists.js'

/*
 * metadata.json, the experiment's own record: the one place that reads, checks and writes it as a whole. The schema
 * names the fields exp relies on; every other field is kept as it is (a loose object), and the file is written
 * exactly as before (two-space JSON and a final newline). zod is loaded only when a record is checked, never on the
 * path of a plain `exp list` (the scan keeps its quick JSON-object check).
 */

/** The schema, built from the zod module (loaded on first use). */
function schemaOf(z: typeof Z) {
  const promotion = z.looseObject({
    target: z.string().optional(),
    config_sha256: z.string().optional(),
    rolled_back_at: z.string().nullable().optional(),
  })
  return z.looseObject({
    schema: z.number().optional(),
    name: z.string().optional(),
    slug: z.string().optional(),
    date: z.string().optional(),
    created_at: z.string().optional(),
    hypothesis: z.unknown().optional(),
    base_config: z.looseObject({path: z.string(), sha256: z.string()}).optional(),
    config_sha256: z.string().optional(),
    overrides: z.array(z.looseObject({key: z.string(), value: z.unknown()})).optional(),
    status: z.string().optional(),
    verdict: z.looseObject({}).optional(),
    promotions: z.array(promotion).optional(),
    archive: z.looseObject({}).optional(),
  })
}

export type Metadata = Z.infer<ReturnType<typeof schemaOf>>
export type PromotionEntry = NonNullable<Metadata['promotions']>[number]

let schema: ReturnType<typeof schemaOf> | undefined

/**
 * What is wrong with a parsed metadata.json, as one line naming the file and the field, or undefined. `fields`: only
 * these top-level fields matter (a writer refuses only what it would lose; a stray `status: 42` is the scan's warning).
 */
export async function metadataProblem(
  value: unknown,
  file: string,
  fields?: readonly string[],
): Promise<string | undefined> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return `${file}: not a JSON object`
  schema ??= schemaOf((await import('zod')).z)
  const result = schema.safeParse(value)
  const issue = result.error?.issues.find((i) => !fields || fields.includes(String(i.path[0])))
  if (!issue) return undefined
  const field = issue.path.join('.')
  return `${file}: "${field}" ${issue.code === 'invalid_type' ? `is not ${ARTICLE[issue.expected] ?? issue.expected}` : issue.message}`
}

const ARTICLE: Record<string, string> = {array: 'a list', number: 'a number', object: 'an object', string: 'a string'}

/** Parse metadata.json text; an invalid record is an ExpError naming the file and the field. */
export async function parseMetadata(text: string, file: string, fields?: readonly string[]): Promise<Metadata> {
  let value: unknown
  try {
    value = parseJsonBounded(text)
  } catch {
    throw new ExpError(`${file} is not a valid JSON object.`, {code: 'INVALID_METADATA', exit: EXIT.failure})
  }
  const problem = await metadataProblem(value, file, fields)
  if (problem) throw new ExpError(`${problem}.`, {code: 'INVALID_METADATA', exit: EXIT.failure})
  return value as Metadata // the value as read (checked above), so its keys keep their order when written back
}

/** metadata.json at `file`, or undefined when there is none. `label` names it in errors (workspace-relative). */
export async function readMetadata(file: string, label = file): Promise<Metadata | undefined> {
  const text = await readIfExists(file)
  return text === undefined ? undefined : parseMetadata(text, label)
}

/** The text exp writes for a metadata.json: two-space JSON and a final newline, every field kept. */
export function serializeMetadata(value: Metadata): string {
  return JSON.stringify(value, null, 2) + '\n'
}

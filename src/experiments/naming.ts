import {EXIT, ExpError} from '../errors.js'

const DATED = /^(\d{4}-\d{2}-\d{2})-(.+)$/
const SAFE = /^[A-Za-z0-9._-]+$/

/** `2025-01-22-test-64dim` → date `2025-01-22`, slug `test-64dim`; an undated directory keeps its name as slug. */
export function splitDirName(dirName: string): {date: string | null; slug: string} {
  const m = DATED.exec(dirName)
  return m ? {date: m[1], slug: m[2]} : {date: null, slug: dirName}
}

/** A name a person typed for `exp new`: one safe path segment. */
export function validateName(name: string): void {
  let problem: string | undefined
  if (!name) problem = 'it is empty'
  else if (name.includes('/') || name.includes('\\')) problem = 'it contains a path separator'
  else if (name.includes('..')) problem = 'it contains ".."'
  else if (/\s/.test(name)) problem = 'it contains white space'
  else if (!SAFE.test(name)) problem = 'only letters, digits, ".", "_" and "-" are allowed'
  else if (name.startsWith('.') || name.startsWith('-')) problem = 'it starts with "." or "-"'
  else if (name.length > 100) problem = 'it is longer than 100 characters'
  if (problem) throw new ExpError(`invalid experiment name "${name}": ${problem}.`, {code: 'INVALID_NAME', exit: EXIT.usage})
}

export function validateDate(date: string): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : undefined
  if (!m || !d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) {
    throw new ExpError(`invalid date "${date}": expected YYYY-MM-DD.`, {code: 'INVALID_DATE', exit: EXIT.usage})
  }
}

/** Strip the date prefix: the name used for production configs (`train_<slug>.yaml`). */
export function slugOf(dirName: string): string {
  return splitDirName(dirName).slug
}

import {EXIT, ExpError} from '../errors.js'
import {typedValue} from './summary.js'

/** `--grid key.path=v1,v2,...`: one axis. Values are typed as YAML would (`1e-5` is a number); names keep the spelling. */
export interface GridAxis {
  key: string
  values: string[]
}

export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=')
  const key = eq > 0 ? text.slice(0, eq).trim() : ''
  if (!key || key.split('.').some((part) => part === '' || /\s/.test(part))) {
    throw new ExpError(
      `invalid --grid "${text}": expected key.path=v1,v2,... (a key path such as training.learning_rate).`,
      {code: 'INVALID_GRID', exit: EXIT.usage},
    )
  }
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
  if (values.some((v) => v === ''))
    throw new ExpError(`invalid --grid "${text}": an empty value.`, {code: 'INVALID_GRID', exit: EXIT.usage})
  if (values.length < 2)
    throw new ExpError(
      `--grid ${key} has one value (${values[0]}): an axis needs 2 or more; use --set ${key}=${values[0]} for a fixed value.`,
      {code: 'INVALID_GRID', exit: EXIT.usage},
    )
  const dup = values.find((v, i) => values.indexOf(v) !== i)
  if (dup !== undefined)
    throw new ExpError(`--grid ${key} lists ${dup} twice.`, {code: 'INVALID_GRID', exit: EXIT.usage})
  return {key, values}
}

export interface GridPoint {
  label: string
  spelling: Record<string, string>
  values: Record<string, unknown>
}

/** The cartesian product of the axes, the first axis slowest (as a person writes the table). */
export function expandGrid(axes: GridAxis[]): GridPoint[] {
  const keys = axes.map((a) => a.key)
  const dup = keys.find((k, i) => keys.indexOf(k) !== i)
  if (dup) throw new ExpError(`--grid ${dup} is given twice.`, {code: 'INVALID_GRID', exit: EXIT.usage})
  let points: Array<Record<string, string>> = [{}]
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({...p, [axis.key]: v})))
  return points.map((spelling) => ({
    label: Object.entries(spelling)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    spelling,
    values: Object.fromEntries(Object.entries(spelling).map(([k, v]) => [k, typedValue(v)])),
  }))
}

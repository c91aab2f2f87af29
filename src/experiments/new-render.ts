import {formatValue} from '../config/config-file.js'
import {renderVariants} from '../sweeps/render.js'
import type {SweepResult} from '../sweeps/scaffold.js'
import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import type {NewResult} from './new-request.js'

/** `exp new` for one experiment: what was (or would be) created from which base, then each changed key. */
export function experimentCreatedLines(ws: Workspace, result: NewResult): string[] {
  return [
    `${result.dry_run ? 'Would create' : 'Created'} ${relativeToRoot(ws, result.dir)}/ from ${relativeToRoot(ws, result.base)}${result.dry_run ? ' (dry run: nothing written)' : ''}`,
    ...result.changes.map((c) => `  ${c.key}: ${formatValue(c.from)} → ${formatValue(c.to)}`),
  ]
}

/** `exp new` for a sweep: the folder, the number of variants and what varies, then each variant. */
export function sweepCreatedLines(ws: Workspace, result: SweepResult): string[] {
  return [
    `Created ${relativeToRoot(ws, result.dir)}/ with ${result.variants.length} variants (varying ${result.varying.join(', ')})${result.controls ? `; ${result.controls} control rows recorded` : ''}`,
    ...renderVariants(result.name, result.variants),
  ]
}

import type {Workspace} from './workspace.js'

/**
 * Finish or roll back a step that a killed exp process left half-done (see the journal).
 * Called under the workspace lock before every mutating command, and by read-only commands when a journal exists.
 */
export async function recoverInterrupted(_ws: Workspace): Promise<string[]> {
  return []
}

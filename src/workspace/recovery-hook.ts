/**
 * Where the recovery of every journaled operation comes from (src/recovery-handlers.ts, which registers them with
 * recovery.ts): the command layer names it here (base-command.ts) and recovery.ts loads it only when it finds a
 * journal entry, so no command pays for it (or for recovery.ts, the journal and the lock) at start-up.
 */
let pending: (() => Promise<unknown>) | undefined

export function setRecoveryHandlers(load: () => Promise<unknown>): void {
  pending = load
}

/** Load the handlers, once (nothing when none were named: a test that registers its own). */
export async function loadRecoveryHandlers(): Promise<void> {
  const load = pending
  pending = undefined
  await load?.()
}

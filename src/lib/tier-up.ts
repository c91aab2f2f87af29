const KIB = 1024

/**
 * How much bytecode a function runs before V8 considers optimizing it with TurboFan (V8's `--interrupt-budget`,
 * 66 KiB in Node 20's V8 11.3): 512 KiB, about 8 times as much.
 *
 * For a loop that runs the same few dozen functions a thousand times and then ends (exp report --all drawing
 * 1,000 pages), TurboFan costs more than it gives back: it compiles each hot function on another thread (on a
 * 2-core machine, the core the page writer thread and the garbage collector also use), and several of them are
 * compiled twice after a deoptimization. With the budget raised, those functions stay in V8's baseline code a while
 * longer. Measured on 1,000 experiments: a fresh `exp report --all` took 569 ms instead of 626 ms (21 alternated
 * rounds) and ~190 ms less user CPU (6 pairs); a larger budget (800,000 or 1,000,000) gained less, 300,000 half
 * as much.
 */
export const LONG_TIER_UP_BUDGET = 512 * KIB

/** V8's default budget in Node 20 (tried first when it is put back; other V8 versions' were other whole KiB). */
const USUAL_KIB = 66

/** Whether the user set V8's budget themselves (NODE_OPTIONS or node's own arguments): then exp leaves it alone. */
function userSetBudget(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  // the flag itself, not one that starts with its name (--interrupt-budget-for-feedback-allocation is another)
  return [...execArgv, nodeOptions ?? ''].some((a) => /--interrupt[-_]budget(?![-_a-z])/.test(a))
}

export interface RaisedBudget {
  /** V8's own budget back, so V8's flags are as they were (see raiseTierUpBudget); whether that was found */
  restore(): boolean
}

/**
 * Raise V8's tier-up budget: for a command about to run one long loop of the same code. V8 reads the budget each
 * time it starts counting a function again, so code first run afterwards (the loop's) tiers up later; code TurboFan
 * already optimized stays optimized. A tuning of when V8 optimizes, never of what the code does. Undefined when the
 * user set the budget.
 *
 * `restore` must run before the process ends: V8's flags are part of the version tag of the code cache it writes
 * (src/fastpath/code-cache.ts writes it at exit), so data written while the budget is raised is refused by the next
 * call, which would compile those files from source and write them again, every time. JavaScript cannot read a
 * V8 flag, but it can read that tag (`v8.cachedDataVersionTag`): V8's default is the value that gives the tag back
 * its value from before, tried first for Node 20's, then each whole KiB up to 512 (4 ms in all, measured).
 */
export async function raiseTierUpBudget(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): Promise<RaisedBudget | undefined> {
  if (userSetBudget(execArgv, nodeOptions)) return undefined
  // loaded here, not with the module: `exp report NAME` and an up-to-date --all never raise it (~1.6 ms to load)
  const {cachedDataVersionTag, setFlagsFromString} = await import('node:v8')
  const setBudget = (bytes: number) => setFlagsFromString(`--interrupt-budget=${bytes}`)
  const tag = cachedDataVersionTag()
  setBudget(LONG_TIER_UP_BUDGET)
  return {
    restore() {
      // Node 20's first, then each whole KiB
      for (const kib of [USUAL_KIB, ...Array.from({length: 512}, (_, i) => i + 1)]) {
        setBudget(kib * KIB)
        if (cachedDataVersionTag() === tag) return true
      }
      return false
    },
  }
}

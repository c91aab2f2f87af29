import {setFlagsFromString} from 'node:v8'

/**
 * How much bytecode a function runs before V8 considers optimizing it with TurboFan (V8's `--interrupt-budget`,
 * 67,584 in Node 20's V8 11.3): 512 KiB, about 8 times as much.
 *
 * For a loop that runs the same few dozen functions a thousand times and then ends (exp report --all drawing
 * 1,000 pages), TurboFan costs more than it gives back: it compiles each hot function on another thread (on a
 * 2-core machine, the core the page writer thread and the garbage collector also use), and several of them are
 * compiled twice after a deoptimization. With the budget raised, those functions stay in V8's baseline code a while
 * longer. Measured on 1,000 experiments: a fresh `exp report --all` took 569 ms instead of 626 ms (21 alternated
 * rounds) and ~190 ms less user CPU (6 pairs); a larger budget (800,000 or 1,000,000) gained less, 300,000 half
 * as much.
 */
export const LONG_TIER_UP_BUDGET = 512 * 1024

/** Whether the user set V8's budget themselves (NODE_OPTIONS or node's own arguments): then exp leaves it alone. */
function userSetBudget(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  // the flag itself, not one that starts with its name (--interrupt-budget-for-feedback-allocation is another)
  return [...execArgv, nodeOptions ?? ''].some((a) => /--interrupt[-_]budget(?![-_a-z])/.test(a))
}

/**
 * Raise V8's tier-up budget for the rest of this process: for a command that is about to run one long loop of the
 * same code and then exit. V8 reads the budget each time it starts counting a function again, so code first run
 * afterwards (the loop's) tiers up later; code TurboFan already optimized stays optimized. A tuning of when V8
 * optimizes, never of what the code does. Returns whether it was raised.
 */
export function tierUpLater(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): boolean {
  if (userSetBudget(execArgv, nodeOptions)) return false
  setFlagsFromString(`--interrupt-budget=${LONG_TIER_UP_BUDGET}`)
  return true
}

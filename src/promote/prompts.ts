import {checkbox, confirm} from '@inquirer/prompts'

import {EXIT, ExpError} from '../errors.js'
import {formatNumber} from '../lib/table.js'
import type {PromotionOutcome, PromotionPlan} from './promote.js'
import type {PromoteAsk} from './service.js'

/** What the checkbox shows for one candidate: name, metric, target and what promoting it does. */
export function candidateChoices(candidates: PromotionPlan[], previews: PromotionOutcome[]) {
  return candidates.map((plan, i) => {
    const p = previews[i]
    const what =
      p.action === 'create'
        ? 'new file'
        : p.action === 'unchanged'
          ? 'identical, no-op'
          : p.action === 'replace'
            ? 'replaces (--force)'
            : 'exists: needs --force'
    return {
      checked: false,
      // a choice that would be refused cannot be picked: it says why instead
      disabled: p.action === 'refused' ? '(exists with different content: run with --force to replace it)' : false,
      name: `${plan.experiment}  ${plan.metric}=${formatNumber(plan.value)}  → ${p.target} (${what})`,
      value: plan,
    }
  })
}

/** The prompts on a terminal. Ctrl-C / Esc at a prompt is "cancelled" (exit 2), never a stack trace. */
export const terminalAsk: PromoteAsk = {
  async confirm(preview) {
    return cancellable(() => confirm({default: false, message: `${preview.message}?`}))
  },
  async pick(candidates, previews) {
    return cancellable(() =>
      checkbox({
        choices: candidateChoices(candidates, previews),
        message: `Promote which experiments? (best ${candidates[0]?.metric ?? 'metric'} first)`,
        pageSize: 15,
      }),
    )
  },
}

async function cancellable<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') {
      throw new ExpError('cancelled; nothing was promoted.', {code: 'CANCELLED', exit: EXIT.usage})
    }
    throw error
  }
}
